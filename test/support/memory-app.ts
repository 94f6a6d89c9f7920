/**
 * The app's services on the in-memory adapters: the same graph `createTestApp` builds on the
 * emulators (one composition root, `composeServices`), for fast tests and the model tests. Each
 * call has stores of its own, so tests do not see each other's data.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices, ServiceOverrides } from '../../functions/composition-root';
import { memoryPorts, MemoryPorts, MemoryPortsOptions } from '../../shared/adapters/memory';
import { readConfig } from '../../shared/core/config/settings';
import type { Env, TestApp } from './environment';

export interface MemoryTestApp extends TestApp {
  /** The memory adapters the services run on, to look inside them. */
  ports: MemoryPorts;
}

/** The sample settings (FABRIKAM async, CONTOSO real time) with `overrides`; nothing in them is connected to. */
export function memoryEnv(overrides: Env = {}): Env {
  const sample = JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.sample.json'), 'utf8')).Values as Env;
  return { ...sample, ...overrides };
}

export function createMemoryApp(
  overrides: Env = {},
  serviceOverrides: ServiceOverrides = {},
  portOptions: MemoryPortsOptions = {},
  /** What the services see of the ports (the model tests wrap them to inject faults). */
  seen: (ports: MemoryPorts) => MemoryPorts = (ports) => ports,
): MemoryTestApp {
  const env = memoryEnv(overrides);
  const config = readConfig(env);
  const ports = memoryPorts({ queueName: config.asyncQueue.name, ...portOptions });
  return { env, config, ports, services: composeServices(config, seen(ports), serviceOverrides) };
}
