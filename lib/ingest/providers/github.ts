/**
 * GitHub-signed deliveries of the generic payment payload; the event id is X-GitHub-Delivery.
 * GitHub sends a `ping` delivery (X-GitHub-Event: ping) when a webhook is created and marks the
 * webhook as failing unless it gets a 2xx, so a verified ping is ignored instead of rejected.
 */
import { genericProvider } from './generic.js';
import type { ProviderDefinition } from './provider.js';

const genericGithub = genericProvider('github', 'X-GitHub-Delivery');

export const githubProvider: ProviderDefinition = {
  name: 'github',
  map(payload, context) {
    if (context.header('X-GitHub-Event') === 'ping') return { ignored: true, reason: 'ping' };
    return genericGithub.map(payload, context);
  },
};
