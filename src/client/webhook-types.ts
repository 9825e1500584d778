/** Webhook subscriptions and deliveries as the API shows them (docs/WEBHOOKS.md). */
export interface WebhookSubscriptionView {
  id: string;
  owner: string;
  allOwners: boolean;
  url: string | null;
  email: string | null;
  events: string[];
  queues: string[] | null;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  secretsValid: number;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookInput {
  url?: string | null;
  email?: string | null;
  events?: string[];
  queues?: string[] | null;
  description?: string | null;
  enabled?: boolean;
}

export interface WebhookDeliveryView {
  id: string;
  subscriptionId: string;
  channel: 'http' | 'email';
  target: string;
  event: string;
  jobId: string | null;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  responseCode: number | null;
  durationMs: number | null;
  response: string | null;
  error: string | null;
  history: Array<{ at: string; responseCode: number | null; durationMs: number; error: string | null }>;
}
