/**
 * A channel's webhook signing secret (Standard Webhooks: `whsec_` + base64 of the key). It is kept
 * out of every rendering of the configuration: JSON, string conversion and Node's inspection of it
 * say "[redacted]", and the key itself sits in a private field, so a log line or an API answer
 * that prints the configuration cannot carry it. Only the signing adapter asks for the key.
 */

const PREFIX = 'whsec_';
/** The Standard Webhooks specification's bounds for a secret's key: 24 to 64 bytes. */
export const WEBHOOK_SECRET_BYTES = { min: 24, max: 64 } as const;

const REDACTED = '[redacted]';

export class WebhookSecret {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The secret, or undefined when it is not `whsec_` followed by the canonical base64 of 24 to 64 bytes. */
  static parse(value: string): WebhookSecret | undefined {
    if (!value.startsWith(PREFIX)) return undefined;
    const encoded = value.slice(PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
    const key = Buffer.from(encoded, 'base64');
    // Canonical only: what other verifiers (standardwebhooks) decode must be this very key.
    if (key.toString('base64') !== encoded) return undefined;
    if (key.length < WEBHOOK_SECRET_BYTES.min || key.length > WEBHOOK_SECRET_BYTES.max) return undefined;
    return new WebhookSecret(key);
  }

  /** The HMAC key (a copy): for the adapter that signs deliveries, nobody else. */
  key(): Buffer {
    return Buffer.from(this.#key);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WebhookSecret ${REDACTED}`;
  }
}
