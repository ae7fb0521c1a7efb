/**
 * The scenario suite talks to the API only through this: the Workers runner passes the
 * worker's own fetch, the Node and Bun runners a real server on a loopback port.
 */
export interface Target {
  name: string;
  /** `path` is absolute from the origin, e.g. `/api/v1/images`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * The secret the server signs session tokens with, known to the runner that configured it:
   * scenarios forge tokens with it (other algorithms, bad claims) to prove they are refused.
   */
  authSecret?: string;
  /**
   * The same server reached from a client address no other request has used, as the server
   * sees it (`CF-Connecting-IP` on Workers, the socket's address on Node and Bun), so
   * per-address limits in one test do not spill into another.
   */
  fromNewAddress?(): Target;
  /**
   * Every key (file) in the server's image store, temporary files included, to see exactly
   * what a request left behind.
   */
  storedKeys?(): Promise<Set<string>>;
  /**
   * The operator action that grants (or revokes) operator rights to the user with this email,
   * done where an operator would: `npm run operator` on the Node/Bun data, SQL on D1.
   */
  setOperator?(email: string, operator: boolean): Promise<void>;
}

export type TargetRef = () => Target;

/** The signing secret, or a clear failure when a runner does not say it. */
export function authSecretOf(target: Target): string {
  if (!target.authSecret) throw new Error(`the ${target.name} runner does not expose the server's AUTH_SECRET`);
  return target.authSecret;
}

/** A fresh client address, or a clear failure when a runner cannot provide one. */
export function fromNewAddress(target: Target): Target {
  if (!target.fromNewAddress) throw new Error(`the ${target.name} runner cannot send from another client address`);
  return target.fromNewAddress();
}

/** Grants or revokes operator rights, or fails clearly when a runner cannot. */
export function setOperatorOn(target: Target, email: string, operator: boolean): Promise<void> {
  if (!target.setOperator) throw new Error(`the ${target.name} runner cannot grant operator rights`);
  return target.setOperator(email, operator);
}

/** The keys in the image store, or a clear failure when a runner cannot see them. */
export function storedKeysOf(target: Target): Promise<Set<string>> {
  if (!target.storedKeys) throw new Error(`the ${target.name} runner cannot list the image store`);
  return target.storedKeys();
}

/** A random 10.x.y.z: enough of them that two tests never share one. */
export function randomPrivateAddress(): string {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${(c % 254) + 1}`;
}

/**
 * `target` with its fetch replaced by `wrap(fetch)`, keeping what the runner said about it (the
 * secret) and wrapping every target reached from another address the same way.
 */
export function wrapTarget(target: Target, wrap: (fetch: Target['fetch']) => Target['fetch']): Target {
  const from = target.fromNewAddress?.bind(target);
  return {
    name: target.name,
    fetch: wrap(target.fetch.bind(target)),
    ...(target.authSecret ? { authSecret: target.authSecret } : {}),
    ...(target.storedKeys ? { storedKeys: target.storedKeys } : {}),
    ...(target.setOperator ? { setOperator: target.setOperator } : {}),
    ...(from ? { fromNewAddress: () => wrapTarget(from(), wrap) } : {}),
  };
}
