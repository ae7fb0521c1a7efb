/**
 * The scenario suite talks to the API only through this: the Workers runner passes the
 * worker's own fetch, the Node and Bun runners a real server on a loopback port.
 */
export interface Target {
  name: string;
  /** `path` is absolute from the origin, e.g. `/api/v1/images`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export type TargetRef = () => Target;
