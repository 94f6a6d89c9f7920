/**
 * Sign-up figures (DESIGN.md section 8, first bullet): async sign-up throughput and latency at
 * concurrency 16 — through the HTTP handler with real HttpRequest objects, and straight through
 * the service — against the bare floor (one Cosmos create + one queue send); the same with HQ
 * 200 ms slower (async must not feel it); real-time sign-up for contrast.
 *
 * Floor and subjects are interleaved in rounds (floor, handler, service, slow handler, ...), so
 * noise from other work on the machine falls on all of them alike.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { RunningEmulators } from '../emulators';
import { signUpHandler } from '../../functions/http/storefront';
import { createBenchApp, BenchApp } from './app';
import { signUpBody } from './backlog';
import { signUpFloor } from './floors';
import { LoadResult, runLoad, summarize } from './load';
import type { BenchOptions } from './options';
import type { Progress } from './progress';
import { Row } from './report';

const ROUNDS = 2;

type Subject = 'floor' | 'handler' | 'service' | 'handlerSlowHq' | 'realtime' | 'realtimeSlowHq';

function request(channelId: string, body: unknown): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/channels/${channelId}/customers`,
    body: { string: JSON.stringify(body) },
    headers: { 'content-type': 'application/json' },
    params: { channelId },
  });
}

/** A sign-up through the storefront handler, failing unless the expected status comes back. */
function viaHandler(app: BenchApp, channelId: string, expected: number) {
  const handler = signUpHandler(() => app.services.customers);
  const context = new InvocationContext({ functionName: 'signUp', logHandler: () => {} });
  return async (i: number) => {
    const response = await handler(request(channelId, signUpBody(i)), context);
    if (response.status !== expected) throw new Error(`sign-up answered ${response.status}: ${JSON.stringify(response.jsonBody ?? response.body)}`);
  };
}

export async function signUpScenario(
  emulators: RunningEmulators,
  options: BenchOptions,
  progress: Progress,
): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const normal = await createBenchApp(emulators);
  const slow = await createBenchApp(emulators, { hqLatencyMs: options.hqLatencyMs });
  const floorApp = await createBenchApp(emulators);
  const floorClients = signUpFloor(floorApp.config);
  const latencies = new Map<Subject, number[]>();
  const elapsed = new Map<Subject, number>();
  const errors: string[] = [];
  const perRound = Math.ceil(options.signUps / ROUNDS);
  const c = options.concurrency;
  const t = options.phaseTimeoutMs;
  let offset = 0;
  const run = async (subject: Subject, label: string, count: number, task: ((i: number) => Promise<void>) | 'floor') => {
    const phase = progress.phase(label, count);
    const base = offset;
    offset += count;
    const result: LoadResult =
      task === 'floor' ? await floorClients.run(count, c, phase, t) : await runLoad(count, c, (i) => task(base + i), { phase, timeoutMs: t });
    phase.done(`${result.perSecond.toFixed(0)}/s, p99 ${result.p99.toFixed(0)} ms${result.errors ? `, ${result.errors} errors: ${result.firstError}` : ''}`);
    if (result.errors) errors.push(`${subject}: ${result.errors} errors, first: ${result.firstError}`);
    latencies.set(subject, [...(latencies.get(subject) ?? []), ...result.latenciesMs]);
    elapsed.set(subject, (elapsed.get(subject) ?? 0) + result.elapsedMs);
  };

  try {
    // Warm-up, not recorded: first requests pay for connections, the SDK's collection metadata
    // reads and JIT compilation, which would otherwise land on whichever subject runs first.
    const warm = Math.min(100, Math.ceil(options.signUps / 10));
    const warming = progress.phase('sign-up warm-up (not recorded)', warm * 4);
    await floorClients.run(warm, c, warming, t);
    await runLoad(warm, c, viaHandler(normal, 'FABRIKAM', 202), { phase: warming, timeoutMs: t });
    await runLoad(warm, c, (i) => viaHandler(slow, 'FABRIKAM', 202)(1_000_000 + i), { phase: warming, timeoutMs: t });
    await runLoad(warm, c, (i) => viaHandler(normal, 'CONTOSO', 201)(2_000_000 + i), { phase: warming, timeoutMs: t });
    warming.done();
    for (let round = 1; round <= ROUNDS; round++) {
      const tag = `(round ${round}/${ROUNDS})`;
      await run('floor', `sign-up floor: bare create+send ${tag}`, perRound, 'floor');
      await run('handler', `async sign-up via HTTP handler ${tag}`, perRound, viaHandler(normal, 'FABRIKAM', 202));
      await run('service', `async sign-up via service ${tag}`, perRound, (i) =>
        normal.services.customers.signUp('FABRIKAM', signUpBody(i)).then(() => undefined),
      );
      await run('handlerSlowHq', `async sign-up, HQ +${options.hqLatencyMs} ms ${tag}`, perRound, viaHandler(slow, 'FABRIKAM', 202));
    }
    // Real time is contrast only (no target): one round each, half the count, to save time.
    const rt = Math.max(50, Math.ceil(options.signUps / 2));
    await run('realtime', 'real-time sign-up (CONTOSO)', rt, viaHandler(normal, 'CONTOSO', 201));
    await run('realtimeSlowHq', `real-time sign-up (CONTOSO), HQ +${options.hqLatencyMs} ms`, rt, viaHandler(slow, 'CONTOSO', 201));
  } finally {
    floorClients.dispose();
    await Promise.all([normal.dispose(), slow.dispose(), floorApp.dispose()]);
  }

  const stat = (s: Subject) => summarize(latencies.get(s) ?? [], elapsed.get(s) ?? 0);
  const floor = stat('floor');
  const handler = stat('handler');
  const service = stat('service');
  const slowHandler = stat('handlerSlowHq');
  const realtime = stat('realtime');
  const realtimeSlow = stat('realtimeSlowHq');
  const throughputTarget = 0.8; // DESIGN.md section 8
  const throughputRow = (figure: string, subject: typeof handler): Row => ({
    figure,
    value: subject.perSecond,
    unit: '/s',
    floor: floor.perSecond,
    ratio: subject.perSecond / floor.perSecond,
    target: `>= ${throughputTarget}x floor`,
    pass: subject.perSecond / floor.perSecond >= throughputTarget && subject.errors === 0,
  });
  const rows: Row[] = [
    throughputRow(`async sign-up via HTTP handler, c=${c} (throughput)`, handler),
    {
      figure: 'async sign-up via HTTP handler (p50)',
      value: handler.p50,
      unit: 'ms',
      floor: floor.p50,
      ratio: handler.p50 / floor.p50,
      target: '-',
      pass: null,
    },
    {
      figure: 'async sign-up via HTTP handler (p99)',
      value: handler.p99,
      unit: 'ms',
      floor: floor.p99,
      ratio: handler.p99 / floor.p99,
      target: '-',
      pass: null,
    },
    throughputRow(`async sign-up via service, c=${c} (throughput)`, service),
    {
      figure: 'async sign-up via service (p50 / p99)',
      value: `${service.p50.toFixed(0)} / ${service.p99.toFixed(0)} ms`,
      floor: `${floor.p50.toFixed(0)} / ${floor.p99.toFixed(0)} ms`,
      target: '-',
      pass: null,
    },
    {
      figure: `async sign-up, HQ +${options.hqLatencyMs} ms (p99 vs p99 without)`,
      value: slowHandler.p99,
      unit: 'ms',
      floor: handler.p99,
      ratio: slowHandler.p99 / handler.p99,
      target: '<= 1.2x',
      pass: slowHandler.p99 / handler.p99 <= 1.2 && slowHandler.errors === 0,
      note: 'floor column: the async p99 without added HQ latency',
    },
    {
      figure: 'real-time sign-up (CONTOSO), p50 / p99',
      value: `${realtime.p50.toFixed(0)} / ${realtime.p99.toFixed(0)} ms`,
      floor: `${realtime.perSecond.toFixed(0)}/s`,
      target: 'contrast',
      pass: null,
      note: 'floor column: its throughput',
    },
    {
      figure: `real-time sign-up (CONTOSO), HQ +${options.hqLatencyMs} ms, p50 / p99`,
      value: `${realtimeSlow.p50.toFixed(0)} / ${realtimeSlow.p99.toFixed(0)} ms`,
      floor: `${realtimeSlow.perSecond.toFixed(0)}/s`,
      target: 'contrast',
      pass: null,
      note: 'floor column: its throughput',
    },
  ];
  const brief = (r: LoadResult) => ({ count: r.count, perSecond: r.perSecond, p50: r.p50, p99: r.p99, elapsedMs: r.elapsedMs });
  return {
    rows,
    details: {
      signUp: {
        floor: brief(floor),
        handler: brief(handler),
        service: brief(service),
        handlerSlowHq: brief(slowHandler),
        realtime: brief(realtime),
        realtimeSlowHq: brief(realtimeSlow),
        cosmosRequestsByKind: normal.counter.cosmos.byKind,
        errors,
      },
    },
  };
}
