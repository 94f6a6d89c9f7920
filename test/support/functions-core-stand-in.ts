/**
 * Loads the app the way the Functions host does: `@azure/functions` registers through the
 * `@azure/functions-core` module the host provides, so a stand-in for it sees every registration
 * (name, bindings, and the callback the host would invoke).
 */
export interface Registration {
  name: string;
  bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>;
  callback: (...args: unknown[]) => unknown;
}

export function loadAppRegistrations(env: Record<string, string>): Registration[] {
  const registrations: Registration[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    jest.isolateModules(() => {
      jest.doMock(
        '@azure/functions-core',
        () => ({
          registerFunction(metadata: { name: string; bindings: Registration['bindings'] }, callback: Registration['callback']) {
            registrations.push({ name: metadata.name, bindings: metadata.bindings, callback });
            return { dispose() {} };
          },
          setProgrammingModel() {},
          getProgrammingModel() {
            return undefined;
          },
          registerHook() {
            return { dispose() {} };
          },
        }),
        { virtual: true },
      );
      require('../../functions/index');
    });
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  return registrations;
}

export function triggerOf(registration: Registration) {
  return Object.values(registration.bindings).find((b) => b.direction === 'in' && b.type.endsWith('Trigger'))!;
}
