/**
 * Child process of the "killed after commit" test: processes the MSK event in
 * PROCESS_CHILD_EVENT and kills itself with SIGKILL right after the MySQL commit, before the
 * dead-letter produce and the Redis completion marks, as a Lambda timeout or crash would.
 */
import type { MSKEvent } from 'aws-lambda';
import { loadKafkaConfig, loadMysqlConfig, loadRedisConfig } from '../../lib/config.js';
import { createKnex, loadDatabaseTimeouts } from '../../lib/db/knex.js';
import { PaymentRepository } from '../../lib/db/paymentRepository.js';
import { createRedisClient, IdempotencyStore } from '../../lib/idempotency.js';
import { ReliableProducer } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';
import { BatchProcessor } from '../../lib/processing/batchProcessor.js';
import { loadProcessingConfig } from '../../lib/processing/config.js';

const event = JSON.parse(process.env.PROCESS_CHILD_EVENT ?? 'null') as MSKEvent;
const remainingTimeMs = Number(process.env.PROCESS_CHILD_REMAINING_MS ?? '1000');
const config = loadProcessingConfig();

const processor = new BatchProcessor({
  knex: createKnex(loadMysqlConfig()),
  idempotency: new IdempotencyStore(createRedisClient(loadRedisConfig()), {
    keyPrefix: config.redisKeyPrefix,
    retentionSeconds: config.idempotencyRetentionSeconds,
  }),
  repository: new PaymentRepository({ queryTimeoutMs: loadDatabaseTimeouts().queryTimeoutMs }),
  deadLetters: new ReliableProducer(loadKafkaConfig()),
  config,
  logger: createLogger('crash-child'),
  hooks: {
    afterCommit: () => {
      process.kill(process.pid, 'SIGKILL');
    },
  },
});

await processor.process(event, { requestId: 'crash-child', remainingTimeMs });
// Reaching this line means the hook did not run: exit with a code the test reports.
process.exit(3);
