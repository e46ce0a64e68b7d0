// The event catalog and the contract say the same: every type an endpoint can subscribe to is in
// openapi.yaml's WebhookEventType, and every type sent (the test event too) has its payload under
// `webhooks` there, so a type added in one place and forgotten in the other fails here.
import { describe, expect, it } from 'vitest';
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from '../../src/webhooks/event-types';
import { OPENAPI } from '../helpers/openapi-contract';

describe('webhook event types', () => {
  it('match openapi.yaml', () => {
    expect(OPENAPI.components.schemas.WebhookEventType.enum).toEqual([...WEBHOOK_EVENT_TYPES]);
    expect(Object.keys(OPENAPI.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES, TEST_EVENT_TYPE].sort());
  });
});
