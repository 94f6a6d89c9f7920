import path from 'node:path';

export const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app');

export interface StatusBody {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  output: unknown;
  input: unknown;
  customStatus: unknown;
  historyEvents?: { EventType: number }[];
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls a status URL until the instance is no longer Pending/Running. */
export async function waitForCompletion(statusUrl: string, timeoutMs = 20_000): Promise<StatusBody> {
  return waitFor(async () => {
    const response = await fetch(statusUrl);
    const body = (await response.json()) as StatusBody;
    return ['Pending', 'Running', 'ContinuedAsNew'].includes(body.runtimeStatus) ? undefined : body;
  }, timeoutMs);
}

export async function startOrchestration(baseUrl: string, name: string, input: unknown, instanceId?: string) {
  const response = await fetch(`${baseUrl}/api/orchestrators/${name}${instanceId ? `/${instanceId}` : ''}`, {
    method: 'POST',
    body: input === undefined ? '' : JSON.stringify(input),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, string> };
}
