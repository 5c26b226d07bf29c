'use strict';
/**
 * Serverless plugin that stops `sls package` and `sls deploy` for any stage but `local` unless
 * the deployment's own settings are in the environment. serverless.yml falls back to the local
 * stack's addresses and placeholder ARNs, which must never reach a cloud stage.
 */

const REQUIRED = ['MSK_CLUSTER_ARN', 'KAFKA_BROKERS', 'REDIS_URL', 'MYSQL_HOST', 'VPC_SUBNET_IDS', 'VPC_SECURITY_GROUP_IDS'];

/** Each entry is satisfied when at least one of its variables is set and not empty. */
const REQUIRED_ONE_OF = [['WEBHOOK_SECRETS_LEGACY', 'WEBHOOK_SECRETS_LEGACY_SSM_PARAMETER']];

function isSet(name) {
  const value = process.env[name];
  return value !== undefined && value.trim() !== '';
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

    const missing = REQUIRED.filter((name) => !isSet(name));
    for (const names of REQUIRED_ONE_OF) {
      if (!names.some(isSet)) missing.push(names.join(' or '));
    }
    if (missing.length > 0) {
      throw new this.serverless.classes.Error(
        `Stage ${stage} needs its own settings: set ${missing.join(', ')} in the environment ` +
          '(see "Deploying to AWS" in README.md). Only the local stage falls back to the local stack.',
      );
    }
  }
}

module.exports = RequireCloudSettings;
