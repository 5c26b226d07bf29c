'use strict';
/**
 * Serverless plugin that stops `sls package` and `sls deploy` for any stage but `local` unless
 * the deployment's own settings are in the environment. serverless.yml falls back to the local
 * stack's addresses and placeholder ARNs, which must never reach a cloud stage.
 *
 * Cloud stages must also take their secrets from SSM: a plain secret variable would be copied
 * into the function's configuration, where anyone who can read the function can see it.
 */

const REQUIRED = [
  'MSK_CLUSTER_ARN',
  'KAFKA_BROKERS',
  'REDIS_URL',
  'MYSQL_HOST',
  'MYSQL_USER',
  'MYSQL_PASSWORD_SSM_PARAMETER',
  'VPC_SUBNET_IDS',
  'VPC_SECURITY_GROUP_IDS',
];

const PLAIN_SECRETS = ['MYSQL_PASSWORD', 'KAFKA_SASL_PASSWORD'];

function isSet(name) {
  const value = process.env[name];
  return value !== undefined && value.trim() !== '';
}

/** Providers that ingest will serve, as it reads WEBHOOK_PROVIDERS (default legacy). */
function enabledProviders() {
  const raw = process.env.WEBHOOK_PROVIDERS ?? '';
  const providers = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  return providers.length > 0 ? providers : ['legacy'];
}

/** Lists what is wrong with the environment for a cloud stage; empty when it can be packaged. */
function findProblems() {
  const problems = [];

  const missing = REQUIRED.filter((name) => !isSet(name));
  for (const provider of enabledProviders()) {
    const parameter = `WEBHOOK_SECRETS_${provider.toUpperCase()}_SSM_PARAMETER`;
    if (!isSet(parameter)) missing.push(parameter);
  }
  if (missing.length > 0) problems.push(`set ${missing.join(', ')}`);

  const plain = Object.keys(process.env).filter(
    (name) => (name.startsWith('WEBHOOK_SECRETS_') && !name.endsWith('_SSM_PARAMETER')) || PLAIN_SECRETS.includes(name),
  );
  const plainSet = plain.filter(isSet).sort();
  if (plainSet.length > 0) {
    problems.push(`unset ${plainSet.join(', ')} and store each in SSM as <NAME>_SSM_PARAMETER instead`);
  }
  return problems;
}

class RequireCloudSettings {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    const check = () => this.check();
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:deploy': check,
    };
  }

  check() {
    const stage = this.options.stage ?? this.serverless.service.provider.stage;
    if (stage === 'local') return;

    const problems = findProblems();
    if (problems.length > 0) {
      throw new this.serverless.classes.Error(
        `Stage ${stage} cannot be packaged yet: ${problems.join('; ')}. ` +
          'See "Deploying to AWS" in README.md. Only the local stage falls back to the local stack.',
      );
    }
  }
}

module.exports = RequireCloudSettings;
