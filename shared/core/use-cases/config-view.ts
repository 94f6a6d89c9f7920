/**
 * The effective configuration as operators may see it: channels, profiles, features and why a
 * feature is not in effect. Built from an allow-list of fields so that a key or a connection
 * string added to the configuration later can never leak through this view.
 */
import type { AppConfig } from '../config/settings';

export interface ConfigView {
  channels: {
    id: string;
    name: string;
    functionalityProfile: string;
    mode: 'async' | 'realtime';
    fallbackToAsyncWhenHqUnavailable: boolean;
    /** The channel's webhook: its URL, and that a secret is set (never the secret). */
    webhook: { url: string; secretConfigured: true } | null;
  }[];
  features: { name: string; enabled: boolean; effective: boolean; missingPrerequisites: string[]; reason: string | null }[];
  sync: AppConfig['sync'];
  webhooks: AppConfig['webhooks'];
  hq: { servicing: boolean; accountNumberPrefix: string };
  queue: { name: string; poisonName: string };
}

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
