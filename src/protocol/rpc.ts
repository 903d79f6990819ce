// One request/response helper for every boundary (host↔engine process, host↔webview):
// numbered requests, progress events, cancellation, timeouts. Every promise settles: on a
// reply, an error reply, a timeout, a cancel or dispose.

export interface RpcError {
  readonly code: string;
  readonly message: string;
}

/** Method name → params and result types. */
export type MethodMap = Record<string, { params: unknown; result: unknown }>;

export type RpcRequest<M extends MethodMap> = {
  [K in keyof M & string]: { readonly kind: 'request'; readonly id: number; readonly method: K; readonly params: M[K]['params'] };
}[keyof M & string];

export type RpcMessage<M extends MethodMap> =
  | RpcRequest<M>
  /** Caller no longer wants the answer to request `id`. */
  | { readonly kind: 'cancel'; readonly id: number }
  | { readonly kind: 'result'; readonly id: number; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: RpcError }
  /** Something slow is under way for request `id`. */
  | { readonly kind: 'progress'; readonly id: number; readonly message: string }
  /** A line for the log, not tied to a request. */
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string };

export class RpcFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcFailure';
  }
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (message: string) => void;
  cleanup(): void;
}

export class RpcClient<M extends MethodMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly send: (message: RpcMessage<M>) => void,
    /** Called when a request times out, e.g. to kill a hung process. */
    private readonly onTimeout: (method: string) => void = () => {},
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  call<K extends keyof M & string>(method: K, params: M[K]['params'], options: CallOptions = {}): Promise<M[K]['result']> {
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new RpcFailure('cancelled', 'Cancelled.'));
        return;
      }
      const timer = options.timeoutMs
        ? setTimeout(() => {
            this.settle(id, new RpcFailure('timeout', `No answer to "${method}" within ${Math.round(options.timeoutMs! / 1000)} s.`));
            this.onTimeout(method);
          }, options.timeoutMs)
        : undefined;
      const onAbort = () => {
        this.settle(id, new RpcFailure('cancelled', 'Cancelled.'));
        this.trySend({ kind: 'cancel', id });
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: options.onProgress,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      });
      try {
        this.send({ kind: 'request', id, method, params } as RpcRequest<M>);
      } catch (error) {
        this.settle(id, error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Feeds an incoming message; returns false when it is not a reply to this client. */
  handle(message: RpcMessage<M>): boolean {
    switch (message.kind) {
      case 'result':
        this.settle(message.id, undefined, message.result);
        return true;
      case 'error':
        this.settle(message.id, new RpcFailure(message.error.code, message.error.message));
        return true;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.message);
        return true;
      default:
        return false;
    }
  }

  /** Rejects everything in flight, e.g. when the other side has gone away. */
  rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  private settle(id: number, error?: Error, result?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    if (error) pending.reject(error);
    else pending.resolve(result);
  }

  private trySend(message: RpcMessage<M>): void {
    try {
      this.send(message);
    } catch {
      // The other side is gone; the request has already been settled.
    }
  }
}

export type Handlers<M extends MethodMap> = {
  [K in keyof M & string]: (params: M[K]['params'], context: { signal: AbortSignal; progress(message: string): void }) => Promise<M[K]['result']>;
};

/** Serves requests one at a time, in order; a cancelled request that has not started is skipped. */
export class RpcServer<M extends MethodMap> {
  private queue: Promise<void> = Promise.resolve();
  private readonly controllers = new Map<number, AbortController>();

  constructor(
    private readonly send: (message: RpcMessage<M>) => void,
    private readonly handlers: Handlers<M>,
    private readonly toError: (error: unknown) => RpcError,
  ) {}

  handle(message: RpcMessage<M>): void {
    if (message.kind === 'cancel') {
      this.controllers.get(message.id)?.abort();
      return;
    }
    if (message.kind !== 'request') return;
    const request = message as RpcRequest<M>;
    const controller = new AbortController();
    this.controllers.set(request.id, controller);
    this.queue = this.queue.then(() => this.serve(request, controller));
  }

  private async serve(request: RpcRequest<M>, controller: AbortController): Promise<void> {
    const { id } = request;
    try {
      if (controller.signal.aborted) throw new RpcFailure('cancelled', 'Cancelled.');
      const handler = this.handlers[request.method as keyof M & string];
      if (!handler) throw new RpcFailure('internal', `Unknown method ${request.method}`);
      const result = await handler(request.params, {
        signal: controller.signal,
        progress: (text) => this.send({ kind: 'progress', id, message: text }),
      });
      this.send({ kind: 'result', id, result });
    } catch (error) {
      this.send({ kind: 'error', id, error: this.toError(error) });
    } finally {
      this.controllers.delete(id);
    }
  }
}
