/**
 * What an app registered: its functions (metadata as the host would index it, plus the callback),
 * the programming model that converts invocations, and lifecycle hooks.
 */
import type { CoreFunctionMetadata, Disposable, FunctionCallback, HookCallback, HookName, LogLevel, ProgrammingModel, RpcBinding } from './types';

export interface Registration {
  name: string;
  metadata: CoreFunctionMetadata;
  callback: FunctionCallback;
  /** The binding whose type ends in "Trigger". */
  trigger: RpcBinding;
  triggerName: string;
}

/** A flat description of a registration, e.g. for `/admin/functions` and tests. */
export interface RegistrationSummary {
  name: string;
  triggerType: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  runOnStartup?: boolean;
  inputTypes: string[];
  outputTypes: string[];
}

export class Registry {
  readonly functions = new Map<string, Registration>();
  programmingModel: ProgrammingModel | undefined;
  private readonly hooks = new Map<HookName, Set<HookCallback>>();

  constructor(readonly systemLog: (level: LogLevel, message: string) => void) {}

  register(metadata: CoreFunctionMetadata, callback: FunctionCallback): void {
    const entry = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!entry) throw new Error(`Function "${metadata.name}" has no trigger binding`);
    const key = metadata.name.toLowerCase();
    // The real host refuses duplicate names at indexing time; so do we.
    if ([...this.functions.keys()].some((k) => k === key)) {
      throw new Error(`A function named "${metadata.name}" is already registered`);
    }
    this.functions.set(key, { name: metadata.name, metadata, callback, trigger: entry[1], triggerName: entry[0] });
  }

  get(name: string): Registration | undefined {
    return this.functions.get(name.toLowerCase());
  }

  byTriggerType(type: string): Registration[] {
    return [...this.functions.values()].filter((r) => r.trigger.type.toLowerCase() === type.toLowerCase());
  }

  addHook(name: HookName, callback: HookCallback): Disposable {
    let set = this.hooks.get(name);
    if (!set) this.hooks.set(name, (set = new Set()));
    set.add(callback);
    return { dispose: () => set.delete(callback) };
  }

  hooksFor(name: HookName): HookCallback[] {
    return [...(this.hooks.get(name) ?? [])];
  }

  summaries(): RegistrationSummary[] {
    return [...this.functions.values()].map((r) => {
      const t = r.trigger;
      const bindings = Object.values(r.metadata.bindings);
      return {
        name: r.name,
        triggerType: t.type,
        route: typeof t.route === 'string' ? t.route : t.type === 'httpTrigger' ? r.name : undefined,
        methods: Array.isArray(t.methods) ? t.methods.map(String) : undefined,
        authLevel: typeof t.authLevel === 'string' ? t.authLevel : undefined,
        schedule: typeof t.schedule === 'string' ? t.schedule : undefined,
        runOnStartup: typeof t.runOnStartup === 'boolean' ? t.runOnStartup : undefined,
        inputTypes: bindings.filter((b) => b !== t && b.direction === 'in').map((b) => b.type),
        outputTypes: bindings.filter((b) => b.direction === 'out').map((b) => b.type),
      };
    });
  }
}
