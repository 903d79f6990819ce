// The extension side of the engine: forks the engine process, sends it typed requests,
// cancels and times them out, and respawns it after a crash (reloading the model), within a
// restart budget. Never imports vscode, so tests drive it directly.

import { ChildProcess, fork } from 'node:child_process';
import type { EngineMessage, EngineMethods, LoadParams } from '../protocol/engineProtocol';
import { CallOptions, RpcClient, RpcFailure } from '../protocol/rpc';
import { EngineError, EngineErrorCode } from './engineError';
import { withHugePages } from './hugePages';

export interface EngineClientOptions {
  /** Path of the bundled engine process script (dist/engineProcess.js). */
  readonly enginePath: string;
  readonly onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The restart budget is spent: the engine stays down until restart(). */
  readonly onStopped?: (reason: string) => void;
  readonly maxCrashes?: number;
  readonly crashWindowMs?: number;
  readonly timeoutsMs?: Partial<Record<keyof EngineMethods, number>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Node options of the engine process (none by default; tests give it a small --stack-size). */
  readonly execArgv?: readonly string[];
}

const DEFAULT_TIMEOUTS_MS: Record<keyof EngineMethods, number> = {
  load: 10 * 60_000,
  info: 30_000,
  inspect: 3 * 60_000,
  translate: 60_000,
  // One greedy decode per head: 36 for the bundled model, more for large ones.
  headDependence: 5 * 60_000,
  panelQuestion: 60_000,
  hang: 60_000,
};

export class EngineClient {
  private child?: ChildProcess;
  private rpc?: RpcClient<EngineMethods>;
  private lastLoad?: LoadParams;
  private crashTimes: number[] = [];
  private stoppedReason?: string;
  private disposed = false;
  private readonly maxCrashes: number;
  private readonly crashWindowMs: number;

  constructor(private readonly options: EngineClientOptions) {
    this.maxCrashes = options.maxCrashes ?? 5;
    this.crashWindowMs = options.crashWindowMs ?? 3 * 60_000;
  }

  /** The process id of the running engine, if any (for diagnostics and fault tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get stopped(): boolean {
    return this.stoppedReason !== undefined;
  }

  async call<K extends keyof EngineMethods>(method: K, params: EngineMethods[K]['params'], options: CallOptions = {}): Promise<EngineMethods[K]['result']> {
    if (this.disposed) throw new EngineError('engine-crashed', 'The engine has been shut down.');
    if (this.stoppedReason) throw new EngineError('engine-crashed', this.stoppedReason);
    const fresh = this.ensureProcess();
    if (fresh && this.lastLoad && method !== 'load') {
      this.log('info', 'Engine restarted: reloading the model');
      await this.send('load', this.lastLoad, { onProgress: options.onProgress, signal: options.signal });
    }
    const pending = this.send(method, params, options);
    // A cancelled load would leave the engine on a model the user gave up on: start over instead.
    if (method === 'load') options.signal?.addEventListener('abort', () => this.kill(), { once: true });
    const result = await pending;
    if (method === 'load') this.lastLoad = params as LoadParams;
    return result;
  }

  /** Clears the restart budget and starts a fresh engine with the last model. */
  async restart(): Promise<void> {
    this.stoppedReason = undefined;
    this.crashTimes = [];
    this.kill();
    if (this.lastLoad) await this.call('load', this.lastLoad);
  }

  dispose(): void {
    this.disposed = true;
    this.kill();
  }

  private async send<K extends keyof EngineMethods>(method: K, params: EngineMethods[K]['params'], options: CallOptions): Promise<EngineMethods[K]['result']> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutsMs?.[method] ?? DEFAULT_TIMEOUTS_MS[method];
    try {
      return await this.rpc!.call(method, params, { ...options, timeoutMs });
    } catch (error) {
      if (error instanceof RpcFailure) throw new EngineError(error.code as EngineErrorCode, error.message);
      throw error;
    }
  }

  /** Starts the engine process if none runs; true when a new one was started. */
  private ensureProcess(): boolean {
    // A process that died but whose exit Node has not reported yet has already lost its IPC channel.
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && this.child.connected) return false;
    if (this.child) this.kill('The engine process had stopped; a new one was started.');
    const child = fork(this.options.enginePath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: withHugePages({ ...process.env, ...this.options.env }),
      execArgv: [...(this.options.execArgv ?? [])],
    });
    const rpc = new RpcClient<EngineMethods>(
      (message) => {
        if (!child.connected) throw new EngineError('engine-crashed', 'The engine process is not running.');
        child.send(message);
      },
      (method) => {
        this.log('error', `Engine did not answer "${method}" in time: killing it; it restarts on the next request.`);
        this.recordCrash(`it stopped answering ("${method}" timed out)`);
        this.kill('The engine stopped answering and was restarted.');
      },
    );
    child.on('message', (message: EngineMessage) => {
      if (message.kind === 'log') this.log(message.level, message.message);
      else rpc.handle(message);
    });
    child.stdout?.on('data', (data: Buffer) => this.log('info', data.toString().trimEnd()));
    child.stderr?.on('data', (data: Buffer) => this.log('warn', data.toString().trimEnd()));
    child.on('exit', (code, signal) => this.onExit(child, rpc, code, signal));
    child.on('error', (error) => this.log('error', `Engine process error: ${error.message}`));
    this.child = child;
    this.rpc = rpc;
    this.log('info', `Engine process started (pid ${child.pid})`);
    return true;
  }

  private onExit(child: ChildProcess, rpc: RpcClient<EngineMethods>, code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const expected = this.disposed || child !== this.child;
    if (!expected) {
      this.log('error', `Engine process ${how}.`);
      if (rpc.inFlight > 0) this.recordCrash(`it ${how}`);
    }
    rpc.rejectAll(new EngineError('engine-crashed', `The engine process ${how} before answering. Your request was not completed; the engine restarts with the next one.`));
    if (child === this.child) {
      this.child = undefined;
      this.rpc = undefined;
    }
  }

  private recordCrash(what: string): void {
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((time) => now - time < this.crashWindowMs), now];
    if (this.crashTimes.length >= this.maxCrashes && !this.stoppedReason) {
      const minutes = Math.round(this.crashWindowMs / 60_000);
      this.stoppedReason = `The engine failed ${this.crashTimes.length} times in ${minutes} minutes (last: ${what}) and was stopped. See the engine log, then use "Restart Engine".`;
      this.log('error', this.stoppedReason);
      this.options.onStopped?.(this.stoppedReason);
    }
  }

  /** Ends the current process now; the next request starts a new one. */
  private kill(reason = 'The engine was restarted.'): void {
    const child = this.child;
    this.child = undefined;
    this.rpc?.rejectAll(new EngineError('engine-crashed', reason));
    this.rpc = undefined;
    child?.kill('SIGKILL');
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    if (message) this.options.onLog?.(level, message);
  }
}
