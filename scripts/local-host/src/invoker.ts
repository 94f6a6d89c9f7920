/**
 * Runs one invocation through the app's own programming model, with RPC-shaped input like the
 * Node worker sends, so handlers get the library's real HttpRequest, InvocationContext, timer
 * object and binding data. Also runs pre/post invocation hooks and writes the host's log lines.
 */
import { randomUUID } from 'node:crypto';
import type { Registration, Registry } from './registry';
import type { CoreInvocationContext, LogLevel, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from './types';

export type LogSink = (line: string) => void;

export interface InvocationRequest {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Why the function runs, for the "Executing" line (e.g. "This function was programmatically called"). */
  reason: string;
  invocationId?: string;
}

export interface InvocationOutcome {
  response: RpcInvocationResponse;
  durationMs: number;
}

export function timestamp(date = new Date()): string {
  return `[${date.toISOString()}]`;
}

/** Errors may come from the app's realm (when this code runs in a module sandbox), where `instanceof Error` is false. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

export class InvocationError extends Error {
  constructor(
    message: string,
    readonly original: unknown,
    readonly invocationId: string,
  ) {
    super(message);
  }
}

export class Invoker {
  private readonly appHookData: Record<string, unknown> = {};

  constructor(
    private readonly registry: Registry,
    private readonly log: LogSink,
    /** Functions whose "Executing/Executed" lines are left out (e.g. orchestrator episodes when quiet). */
    private readonly quietFunctions: (name: string) => boolean = () => false,
  ) {}

  async runAppHooks(name: 'appStart' | 'appTerminate', functionAppDirectory: string): Promise<void> {
    for (const hook of this.registry.hooksFor(name)) {
      await hook({ hookData: {}, appHookData: this.appHookData, functionAppDirectory });
    }
  }

  async invoke(registration: Registration, request: InvocationRequest): Promise<InvocationOutcome> {
    const model = this.registry.programmingModel;
    if (!model) throw new Error('No programming model was registered by the app');
    const invocationId = request.invocationId ?? randomUUID();
    const fullName = `Functions.${registration.name}`;
    const quiet = this.quietFunctions(registration.name);
    const started = Date.now();
    if (!quiet) this.log(`${timestamp()} Executing '${fullName}' (Reason='${request.reason}', Id=${invocationId})`);

    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { inputData: request.inputData, triggerMetadata: request.triggerMetadata ?? {} },
      metadata: { ...registration.metadata },
      state: undefined,
      log: (level: LogLevel, category, message) => this.writeLog(level, category, message),
    };
    const invocationModel = model.getInvocationModel(coreCtx);
    let result: unknown;
    let error: unknown;
    let failed = false;
    const hookData: Record<string, unknown> = {};
    try {
      const { context, inputs } = await invocationModel.getArguments();
      const pre = { hookData, appHookData: this.appHookData, invocationContext: context, inputs, functionCallback: registration.callback };
      coreCtx.state = 'preInvocationHooks';
      for (const hook of this.registry.hooksFor('preInvocation')) await hook(pre);
      coreCtx.state = 'invocation';
      try {
        result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
      } catch (e) {
        failed = true;
        error = e;
      }
      const post = { hookData, appHookData: this.appHookData, invocationContext: context, inputs: pre.inputs, result, error };
      coreCtx.state = 'postInvocationHooks';
      for (const hook of this.registry.hooksFor('postInvocation')) await hook(post);
      result = post.result;
      error = post.error;
      failed = error !== undefined && error !== null;
      if (failed) throw error;
      const response = await invocationModel.getResponse(context, result);
      const durationMs = Date.now() - started;
      if (!quiet) this.log(`${timestamp()} Executed '${fullName}' (Succeeded, Id=${invocationId}, Duration=${durationMs}ms)`);
      return { response, durationMs };
    } catch (e) {
      const durationMs = Date.now() - started;
      if (!quiet) {
        this.log(`${timestamp()} Executed '${fullName}' (Failed, Id=${invocationId}, Duration=${durationMs}ms)`);
        this.log(`${timestamp()} System.Exception: Result: Failure Exception: ${errorMessage(e)}`);
      }
      throw new InvocationError(errorMessage(e), e, invocationId);
    }
  }

  private writeLog(level: LogLevel, category: 'user' | 'system', message: string): void {
    if (category === 'system' && (level === 'debug' || level === 'trace' || level === 'information')) return;
    const prefix = level === 'error' || level === 'critical' ? 'Error: ' : level === 'warning' ? 'Warning: ' : '';
    this.log(`${timestamp()} ${prefix}${message}`);
  }
}

/** The plain value of an RPC TypedData, as the host would pass it on (e.g. to durable history). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined) return data.string;
  if (data.json !== undefined) return JSON.parse(data.json) as unknown;
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return data.int;
  if (data.double !== undefined) return data.double;
  return undefined;
}
