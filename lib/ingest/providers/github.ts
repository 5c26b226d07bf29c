/** GitHub-signed deliveries of the generic payment payload; the event id is X-GitHub-Delivery. */
import { genericProvider } from './generic.js';

export const githubProvider = genericProvider('github', 'X-GitHub-Delivery');
