import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../logger';
import { LocalStore } from './localStore';
import { type FromWorker, type LogLevel, NOT_CALLABLE, REPOSITORIES, type RepositoryName, STORE_METHODS, type StoreWorkerData, type ToWorker, toWire } from './storeProtocol';

/**
 * The worker thread that holds the metadata database (sql.js) and the message logs. Queries,
 * journal replay, compaction and sql.js's heap growth all happen here, never on the extension
 * host's thread; the host reaches the repositories through `Store` (store.ts).
 */

/** Since the thread started: how long starting it and evaluating this bundle took. */
const evaluatedAt = performance.now();

type Post = (message: FromWorker) => void;

function logger(post: Post): Logger {
  const at =
    (level: LogLevel) =>
    (message: string | Error, ...args: unknown[]): void =>
      post({ type: 'log', level, message: [message instanceof Error ? message.message : message, ...args.map(String)].join(' ') });
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The method a call is addressed to, if the call names one the worker serves. Both ends are this
 * project's code; this guards against a misspelt name, not against a hostile caller.
 */
function callee(store: LocalStore, target: string, method: string): ((...args: unknown[]) => unknown) | undefined {
  if (typeof method !== 'string' || NOT_CALLABLE.has(method) || method in Object.prototype) return undefined;
  let owner: object | undefined;
  if (target === 'store') owner = (STORE_METHODS as readonly string[]).includes(method) ? store : undefined;
  else if ((REPOSITORIES as readonly string[]).includes(target)) owner = store[target as RepositoryName];
  const fn = owner ? (owner as Record<string, unknown>)[method] : undefined;
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown).bind(owner) : undefined;
}

async function serve(data: StoreWorkerData, port: NonNullable<typeof parentPort>): Promise<void> {
  const post: Post = (message) => port.postMessage(message);
  let store: LocalStore;
  try {
    store = await LocalStore.open({
      dir: data.dir,
      wasmPath: data.wasmPath,
      migrationsDir: data.migrationsDir,
      logger: logger(post),
      ...(data.followIntervalMs !== undefined ? { followIntervalMs: data.followIntervalMs } : {}),
      ...(data.compactAfterBytes !== undefined ? { compactAfterBytes: data.compactAfterBytes } : {}),
    });
  } catch (error) {
    post({ type: 'openFailed', error: toWire(error) });
    return;
  }
  store.onDidChange((count) => post({ type: 'change', count }));
  const report = store.meta.report;
  if (report.timings) Object.assign(report.timings, { evaluatedAt: performance.timeOrigin + evaluatedAt, openMs: Math.round((performance.now() - evaluatedAt) * 10) / 10 });
  post({ type: 'opened', report });
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      // The calls already under way finish first; later ones are refused.
      closing ??= Promise.allSettled([...inFlight]).then(() => store.close()).finally(() => {
        post({ type: 'closed' });
        port.close();
      });
      return;
    }
    const { id, target, method, args } = message;
    const fn = closing ? undefined : callee(store, target, method);
    if (!fn) {
      const reason = closing ? 'the store is closing' : `the store has no ${String(target)}.${String(method)}`;
      post({ type: 'reply', id, ok: false, error: { code: 'INVALID_INPUT', message: `Storage call refused: ${reason}.` } });
      return;
    }
    const call = Promise.resolve()
      .then(() => fn(...(Array.isArray(args) ? args : [])))
      .then(
        (value) => post({ type: 'reply', id, ok: true, value }),
        (error: unknown) => post({ type: 'reply', id, ok: false, error: toWire(error) }),
      );
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  });
}

const data = workerData as StoreWorkerData | undefined;
if (parentPort && data?.kind === 'store') void serve(data, parentPort);
