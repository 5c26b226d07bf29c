/**
 * Starts Kafka, Redis and MariaDB/MySQL as plain processes when Docker is not available.
 * Data, configuration, logs and pid files live under the stack directory (.stack/ by default):
 *
 *   kafka/libs/           broker jars from Maven Central (scripts/kafka/pom.xml)
 *   kafka/data/           KRaft metadata and topic logs
 *   kafka/broker.log      broker log (scripts/kafka/log4j2.xml); kafka/jvm.log has JVM output
 *   redis/redis.log       Redis log; nothing is persisted
 *   mysql/data/           MariaDB/MySQL data directory; mysql/mysqld.log is its error log
 *
 * Each service has `missingPrerequisites(config)`, which returns install hints, and
 * `start(config)`, which prepares files and spawns the process detached.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, javaMajorVersion, runCommand, spawnDetached } from './processes.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KAFKA_POM = path.join(REPO_ROOT, 'scripts', 'kafka', 'pom.xml');
const KAFKA_LOG4J_CONFIG = path.join(REPO_ROOT, 'scripts', 'kafka', 'log4j2.xml');
const MIN_JAVA_MAJOR = 17;

/** @typedef {import('./config.mjs').StackConfig} StackConfig */

/**
 * A started service as recorded in .stack/state.json.
 * @typedef {{ pid: number, marker: string, log: string, child?: import('node:child_process').ChildProcess }} Started
 */

// ---------------------------------------------------------------------------------------------
// Kafka

function javaExecutable() {
  const fromHome = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  if (fromHome !== undefined && existsSync(fromHome)) return fromHome;
  return findExecutable(['java']);
}

function kafkaPaths(config) {
  const dir = path.join(config.stackDir, 'kafka');
  return {
    dir,
    libs: path.join(dir, 'libs'),
    // Written after Maven copied every jar, so an interrupted download is redone.
    libsComplete: path.join(dir, 'libs', '.complete'),
    data: path.join(dir, 'data'),
    properties: path.join(dir, 'server.properties'),
    clusterIdFile: path.join(dir, 'cluster-id'),
    brokerLog: path.join(dir, 'broker.log'),
    jvmLog: path.join(dir, 'jvm.log'),
  };
}

function hasKafkaJars(paths) {
  return existsSync(paths.libsComplete) && readdirSync(paths.libs).some((name) => /^kafka_2\.13-.*\.jar$/.test(name));
}

/** Builds the broker settings: one node that is both broker and KRaft controller, replication factor 1. */
function kafkaServerProperties(config, dataDir) {
  const { host } = config;
  const { port, controllerPort } = config.kafka;
  return [
    '# Written by scripts/stack.mjs on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Producers must write to topics that the launcher (or a deployment) created on purpose.
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** Generates a KRaft cluster id: 16 random bytes in URL-safe base64 without padding, like `kafka-storage random-uuid`. */
function newClusterId() {
  // An id that starts with '-' would be read as an option by kafka-storage's argument parser
  // (about 1 id in 64), so draw again in that case.
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
  return id;
}

function log4jArgs(logFile) {
  return [`-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`, `-Dstack.kafka.logFile=${logFile}`];
}

export const kafka = {
  name: 'kafka',

  missingPrerequisites(config) {
    const missing = [];
    const java = javaExecutable();
    const major = java === undefined ? undefined : javaMajorVersion(java);
    if (major === undefined || major < MIN_JAVA_MAJOR) {
      const found = major === undefined ? '' : ` (found Java ${major})`;
      missing.push(
        `Java ${MIN_JAVA_MAJOR} or newer is required to run Kafka without Docker${found}: install openjdk-17-jre-headless, or install Docker`,
      );
    }
    if (!hasKafkaJars(kafkaPaths(config)) && findExecutable(['mvn']) === undefined) {
      missing.push(
        'Maven is required once to download the Kafka broker jars from Maven Central: install maven, or install Docker',
      );
    }
    return missing;
  },

  /** @returns {Started} */
  start(config, report) {
    const paths = kafkaPaths(config);
    mkdirSync(paths.data, { recursive: true });
    const java = /** @type {string} */ (javaExecutable());

    if (!hasKafkaJars(paths)) {
      report(`downloading the Kafka broker jars into ${paths.libs} (Maven Central)`);
      const mvn = /** @type {string} */ (findExecutable(['mvn']));
      const result = runCommand(mvn, [
        '-q',
        '-B',
        '-Dstyle.color=never',
        '-f',
        KAFKA_POM,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${paths.libs}`,
        '-DincludeScope=runtime',
      ]);
      if (result.status !== 0) {
        throw new Error(`Maven could not download the Kafka broker jars (exit ${result.status}):\n${result.output.trim()}`);
      }
      writeFileSync(paths.libsComplete, `${new Date().toISOString()}\n`);
    }

    writeFileSync(paths.properties, kafkaServerProperties(config, paths.data));
    const classPath = `${paths.libs}${path.sep}*`;

    // KRaft storage is formatted once: meta.properties records the cluster id and node id.
    if (!existsSync(path.join(paths.data, 'meta.properties'))) {
      if (!existsSync(paths.clusterIdFile)) writeFileSync(paths.clusterIdFile, `${newClusterId()}\n`);
      const clusterId = readFileSync(paths.clusterIdFile, 'utf8').trim();
      const result = runCommand(java, [
        ...log4jArgs(paths.brokerLog),
        '-cp',
        classPath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        paths.properties,
      ]);
      if (result.status !== 0) {
        throw new Error(`Formatting the Kafka storage in ${paths.data} failed (exit ${result.status}):\n${result.output.trim()}`);
      }
    }

    const heap = (process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
    const child = spawnDetached(
      java,
      [...heap, '-XX:+UseG1GC', '-Djava.awt.headless=true', ...log4jArgs(paths.brokerLog), '-cp', classPath, 'kafka.Kafka', paths.properties],
      { logFile: paths.jvmLog, cwd: paths.dir },
    );
    return { pid: /** @type {number} */ (child.pid), marker: paths.properties, log: paths.brokerLog, child };
  },

  logFiles(config) {
    const paths = kafkaPaths(config);
    return [paths.brokerLog, paths.jvmLog];
  },
};

// ---------------------------------------------------------------------------------------------
// Redis

export const redis = {
  name: 'redis',

  missingPrerequisites() {
    if (findExecutable(['redis-server']) !== undefined) return [];
    return ['redis-server is required to run Redis without Docker: install redis-server, or install Docker'];
  },

  /** @returns {Started} */
  start(config) {
    const dir = path.join(config.stackDir, 'redis');
    mkdirSync(dir, { recursive: true });
    const log = path.join(dir, 'redis.log');

    // In the foreground (daemonize no) so the pid is the spawned child's; nothing is persisted.
    const child = spawnDetached(
      /** @type {string} */ (findExecutable(['redis-server'])),
      ['--port', String(config.redis.port), '--bind', config.host, '--daemonize', 'no', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', log],
      { logFile: log, cwd: dir },
    );
    // Redis replaces its command line with "redis-server <host>:<port>", so that is the marker.
    return { pid: /** @type {number} */ (child.pid), marker: `${config.host}:${config.redis.port}`, log, child };
  },

  logFiles(config) {
    return [path.join(config.stackDir, 'redis', 'redis.log')];
  },
};

// ---------------------------------------------------------------------------------------------
// MariaDB or MySQL

function mysqlServerExecutable() {
  return findExecutable(['mariadbd', 'mysqld']);
}

function isMariadb(serverBin) {
  return /mariadb/i.test(runCommand(serverBin, ['--version']).output);
}

/** Quotes a string as an SQL literal. */
function sqlString(value) {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * SQL run by the server at every start (--init-file): the configured user may connect over
 * TCP from 127.0.0.1 and ::1 with the configured password and has every privilege.
 */
function mysqlInitSql(config) {
  const { user, password } = config.mysql;
  const statements = [];
  for (const host of ['127.0.0.1', '::1', 'localhost']) {
    const account = `${sqlString(user)}@${sqlString(host)}`;
    statements.push(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(password)};`);
    statements.push(`ALTER USER ${account} IDENTIFIED BY ${sqlString(password)};`);
    statements.push(`GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`);
  }
  return `${statements.join('\n')}\n`;
}

export const mysql = {
  name: 'mysql',

  missingPrerequisites() {
    const server = mysqlServerExecutable();
    if (server === undefined) {
      return ['MariaDB or MySQL is required to run the database without Docker: install mariadb-server, or install Docker'];
    }
    if (isMariadb(server) && findExecutable(['mariadb-install-db', 'mysql_install_db']) === undefined) {
      return ['mariadb-install-db is required to create the local MariaDB data directory: install mariadb-server, or install Docker'];
    }
    return [];
  },

  /** @returns {Started} */
  start(config, report) {
    const dir = path.join(config.stackDir, 'mysql');
    const dataDir = path.join(dir, 'data');
    const log = path.join(dir, 'mysqld.log');
    const initializedMarker = path.join(dir, 'initialized');
    const server = /** @type {string} */ (mysqlServerExecutable());
    const mariadb = isMariadb(server);
    // mariadbd and mysqld exit when started as root without --user=root.
    const userArgs = process.getuid?.() === 0 ? ['--user=root'] : [];
    mkdirSync(dir, { recursive: true });

    if (!existsSync(initializedMarker)) {
      report(`creating the ${mariadb ? 'MariaDB' : 'MySQL'} data directory ${dataDir}`);
      const result = mariadb
        ? runCommand(/** @type {string} */ (findExecutable(['mariadb-install-db', 'mysql_install_db'])), [
            '--no-defaults',
            `--datadir=${dataDir}`,
            '--auth-root-authentication-method=normal',
            '--skip-test-db',
            ...userArgs,
          ])
        : runCommand(server, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...userArgs]);
      if (result.status !== 0) {
        throw new Error(`Creating the database data directory ${dataDir} failed (exit ${result.status}):\n${result.output.trim()}`);
      }
      writeFileSync(initializedMarker, `${new Date().toISOString()}\n`);
    }

    const initFile = path.join(dir, 'init.sql');
    writeFileSync(initFile, mysqlInitSql(config), { mode: 0o600 });
    const child = spawnDetached(
      server,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${config.mysql.port}`,
        `--bind-address=${config.host}`,
        `--socket=${path.join(dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--log-error=${log}`,
        `--init-file=${initFile}`,
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--skip-name-resolve',
        ...userArgs,
      ],
      { logFile: log, cwd: dir },
    );
    return { pid: /** @type {number} */ (child.pid), marker: dataDir, log, child };
  },

  logFiles(config) {
    return [path.join(config.stackDir, 'mysql', 'mysqld.log')];
  },
};
