/**
 * The effective configuration as operators may see it: channels, profiles, features and why a
 * feature is not in effect. Built from an allow-list of fields so that a key or a connection
 * string added to the configuration later can never leak through this view.
 */
import { z } from 'zod';
import { AppConfig, FEATURE_NAMES, SYNC_MODES } from '../config/settings';

export const configViewSchema = z.object({
  channels: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      functionalityProfile: z.string(),
      mode: z.enum(['async', 'realtime']),
      fallbackToAsyncWhenHqUnavailable: z.boolean(),
      /** The channel's webhook: its URL, and that a secret is set (never the secret). */
      webhook: z.object({ url: z.string(), secretConfigured: z.literal(true) }).nullable(),
    }),
  ),
  features: z.array(
    z.object({
      name: z.enum(FEATURE_NAMES),
      enabled: z.boolean(),
      effective: z.boolean(),
      missingPrerequisites: z.array(z.enum(FEATURE_NAMES)),
      reason: z.string().nullable(),
    }),
  ),
  sync: z.object({
    mode: z.enum(SYNC_MODES),
    idleDelaySeconds: z.int().min(1),
    schedule: z.string(),
    batchSize: z.int().min(1),
    maxParallelBatches: z.int().min(1),
    maxAttempts: z.int().min(1),
    maxMessagesPerRun: z.int().min(1),
  }) satisfies z.ZodType<AppConfig['sync']>,
  webhooks: z.object({ schedule: z.string() }) satisfies z.ZodType<AppConfig['webhooks']>,
  hq: z.object({ servicing: z.boolean(), accountNumberPrefix: z.string() }),
  queue: z.object({ name: z.string(), poisonName: z.string() }),
});
export type ConfigView = z.output<typeof configViewSchema>;

export function configView(config: AppConfig): ConfigView {
  return {
    channels: [...config.channels.values()].map((channel) => {
      const profile = config.profiles.get(channel.functionalityProfile);
      return {
        id: channel.id,
        name: channel.name,
        functionalityProfile: channel.functionalityProfile,
        mode: profile?.createCustomerInAsyncMode ? 'async' : 'realtime',
        fallbackToAsyncWhenHqUnavailable: profile?.fallbackToAsyncWhenHqUnavailable ?? false,
        webhook: channel.webhook ? { url: channel.webhook.url, secretConfigured: true as const } : null,
      };
    }),
    features: [...config.features.values()].map((feature) => ({
      name: feature.name,
      enabled: feature.enabled,
      effective: feature.effective,
      missingPrerequisites: [...feature.missingPrerequisites],
      reason: feature.reason ?? null,
    })),
    sync: {
      mode: config.sync.mode,
      idleDelaySeconds: config.sync.idleDelaySeconds,
      schedule: config.sync.schedule,
      batchSize: config.sync.batchSize,
      maxParallelBatches: config.sync.maxParallelBatches,
      maxAttempts: config.sync.maxAttempts,
      maxMessagesPerRun: config.sync.maxMessagesPerRun,
    },
    webhooks: { schedule: config.webhooks.schedule },
    hq: { servicing: config.hq.servicingNow(), accountNumberPrefix: config.hq.accountNumberPrefix },
    queue: { name: config.asyncQueue.name, poisonName: config.asyncQueue.poisonName },
  };
}
