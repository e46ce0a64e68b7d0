// Standard Webhooks (standardwebhooks.com) on the sending side: endpoint secrets in the `whsec_`
// format and the three signed headers, made by the `standardwebhooks` package so that any receiver's
// Standard Webhooks library verifies them.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A new message id, the `webhook-id` a receiver deduplicates on: the same for every attempt of an event. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('hex')}`;
}

/**
 * The headers of one attempt: `webhook-id`, `webhook-timestamp` (the attempt's time, in seconds, which
 * receivers check against a tolerance, so each attempt is signed anew) and `webhook-signature`
 * (`v1,` HMAC-SHA256 over `id.timestamp.body` with the secret).
 */
export function signedHeaders(secret: string, messageId: string, body: string, at: Date): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}
