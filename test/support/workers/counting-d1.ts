/**
 * A D1 binding whose executed statements (`all`, `raw`, `first`, `run` on a prepared statement,
 * bound or not; not `batch`) go through `around`, which gets the call to make. The one statement
 * proxy the fault, scale and budget tests build their bindings on.
 */
export function aroundStatements(
  db: D1Database,
  around: (run: () => Promise<unknown>) => Promise<unknown>,
): D1Database {
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'bind') return (...args: unknown[]) => wrapStatement(value.apply(target, args));
        if (['all', 'run', 'first', 'raw'].includes(String(prop))) {
          return (...args: unknown[]) => around(() => value.apply(target, args));
        }
        return value.bind(target);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql));
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A D1 binding that counts calls: each `batch()` and each executed statement is one. */
export function countingD1(db: D1Database, counter: { calls: number }): D1Database {
  const counted = aroundStatements(db, (run) => {
    counter.calls++;
    return run();
  });
  return new Proxy(counted, {
    get(target, prop) {
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          counter.calls++;
          return db.batch(statements);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
