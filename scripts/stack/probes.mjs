/**
 * Readiness probes that speak each service's own protocol over node:net, so the stack
 * launcher needs no installed packages: a Kafka Metadata request, a Redis PING and a
 * MySQL handshake with login. A probe resolves with details or rejects with ProbeError.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';

export class ProbeError extends Error {
  /** @param {string} message @param {{ refused?: boolean }} [details] */
  constructor(message, details = {}) {
    super(message);
    this.name = 'ProbeError';
    this.refused = details.refused ?? false;
  }
}

/**
 * Opens a TCP connection, writes `request` (when given) and feeds every chunk to `parse`
 * until it returns a result other than undefined. Rejects after `timeoutMs`.
 * @template T
 * @param {{ host: string, port: number, timeoutMs: number, request?: Buffer,
 *   parse: (buffer: Buffer, socket: net.Socket) => T | undefined }} options
 * @returns {Promise<T>}
 */
function exchange({ host, port, timeoutMs, request, parse }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    let settled = false;

    const finish = (error, value) => {
      if (settled) return;
      settled = true;
      // end() flushes a final write (the MySQL COM_QUIT); destroy() follows if the peer lingers.
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
      if (error) reject(error);
      else resolve(value);
    };

    socket.setTimeout(timeoutMs, () => finish(new ProbeError(`no response from ${host}:${port} within ${timeoutMs} ms`)));
    socket.on('connect', () => {
      if (request !== undefined) socket.write(request);
    });
    socket.on('error', (error) => {
      const refused = /** @type {NodeJS.ErrnoException} */ (error).code === 'ECONNREFUSED';
      finish(new ProbeError(`cannot connect to ${host}:${port}: ${error.message}`, { refused }));
    });
    socket.on('close', () => finish(new ProbeError(`${host}:${port} closed the connection before responding`)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const result = parse(buffer, socket);
        if (result !== undefined) finish(undefined, result);
      } catch (error) {
        finish(error instanceof ProbeError ? error : new ProbeError(`unexpected response from ${host}:${port}: ${error}`));
      }
    });
  });
}

/** Returns true when something accepts TCP connections on host:port. */
export async function isListening(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (listening) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Kafka: Metadata request version 4 (the oldest version Kafka 4.x still accepts, and the newest
// before the flexible encoding), asking for all topics.

const KAFKA_METADATA_API_KEY = 3;
const KAFKA_METADATA_VERSION = 4;

function encodeKafkaMetadataRequest(correlationId) {
  const clientId = Buffer.from('stack-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let offset = 0;
  offset = body.writeInt16BE(KAFKA_METADATA_API_KEY, offset);
  offset = body.writeInt16BE(KAFKA_METADATA_VERSION, offset);
  offset = body.writeInt32BE(correlationId, offset);
  offset = body.writeInt16BE(clientId.length, offset);
  offset += clientId.copy(body, offset);
  offset = body.writeInt32BE(-1, offset); // null topic array: every topic
  body.writeInt8(0, offset); // allow_auto_topic_creation = false
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

class Reader {
  /** @param {Buffer} buffer */
  constructor(buffer) {
    this.buffer = buffer;
    this.offset = 0;
  }
  int8() {
    const value = this.buffer.readInt8(this.offset);
    this.offset += 1;
    return value;
  }
  int16() {
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32() {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  nullableString() {
    const length = this.int16();
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  array(readItem) {
    const count = this.int32();
    const items = [];
    for (let i = 0; i < count; i += 1) items.push(readItem());
    return items;
  }
}

function decodeKafkaMetadataResponse(payload, correlationId) {
  const reader = new Reader(payload);
  if (reader.int32() !== correlationId) throw new ProbeError('Kafka responded with a wrong correlation id');
  reader.int32(); // throttle_time_ms
  const brokers = reader.array(() => ({
    nodeId: reader.int32(),
    host: reader.nullableString(),
    port: reader.int32(),
    rack: reader.nullableString(),
  }));
  const clusterId = reader.nullableString();
  const controllerId = reader.int32();
  const topics = reader.array(() => {
    const errorCode = reader.int16();
    const name = reader.nullableString();
    const internal = reader.int8() !== 0;
    const partitions = reader.array(() => {
      reader.int16(); // error_code
      const partition = reader.int32();
      const leader = reader.int32();
      reader.array(() => reader.int32()); // replica_nodes
      reader.array(() => reader.int32()); // isr_nodes
      return { partition, leader };
    });
    return { name, errorCode, internal, partitions };
  });
  return { brokers, clusterId, controllerId, topics };
}

/**
 * Sends a Metadata request and returns the brokers and topics. Rejects when the listener is
 * not a Kafka broker or when the broker has not registered itself yet (empty broker list).
 * @returns {Promise<{ brokers: {nodeId: number, host: string, port: number}[], clusterId: string | null,
 *   topics: { name: string, errorCode: number, internal: boolean, partitions: { partition: number, leader: number }[] }[] }>}
 */
export async function probeKafka(host, port, timeoutMs = 3000) {
  const correlationId = 1 + Math.floor(Math.random() * 1_000_000);
  const metadata = await exchange({
    host,
    port,
    timeoutMs,
    request: encodeKafkaMetadataRequest(correlationId),
    parse: (buffer) => {
      if (buffer.length < 4) return undefined;
      const size = buffer.readInt32BE(0);
      if (size < 0 || size > 64 * 1024 * 1024) throw new ProbeError(`${host}:${port} does not speak the Kafka protocol`);
      if (buffer.length < 4 + size) return undefined;
      return decodeKafkaMetadataResponse(buffer.subarray(4, 4 + size), correlationId);
    },
  });
  if (metadata.brokers.length === 0) throw new ProbeError(`the Kafka broker at ${host}:${port} lists no brokers yet`);
  return metadata;
}

// ---------------------------------------------------------------------------------------------
// Redis: PING in the RESP array encoding.

/** Sends PING and resolves when the server returns PONG. */
export async function probeRedis(host, port, timeoutMs = 3000) {
  return exchange({
    host,
    port,
    timeoutMs,
    request: Buffer.from('*1\r\n$4\r\nPING\r\n'),
    parse: (buffer) => {
      const end = buffer.indexOf('\r\n');
      if (end < 0) return undefined;
      const line = buffer.toString('utf8', 0, end);
      if (line === '+PONG') return 'PONG';
      throw new ProbeError(`Redis at ${host}:${port} returned ${JSON.stringify(line)} to PING`);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// MySQL and MariaDB: read the server greeting, then log in with mysql_native_password or, for an
// empty password, with any plugin (an empty password has an empty auth response in every plugin).

const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const COM_QUIT = 0x01;

function sha1(...parts) {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Computes the mysql_native_password auth response: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))). */
function nativePasswordResponse(password, nonce) {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const stage2 = sha1(nonce, sha1(stage1));
  return Buffer.from(stage1.map((byte, i) => byte ^ /** @type {number} */ (stage2[i])));
}

function mysqlPacket(sequence, payload) {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header.writeUInt8(sequence, 3);
  return Buffer.concat([header, payload]);
}

/** Splits complete packets off the front of the buffer. */
function readMysqlPackets(buffer) {
  const packets = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readUIntLE(offset, 3);
    if (buffer.length - offset < 4 + length) break;
    packets.push({ sequence: buffer.readUInt8(offset + 3), payload: buffer.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  return packets;
}

function mysqlErrorText(payload) {
  const code = payload.readUInt16LE(1);
  const hasState = payload[3] === 0x23; // '#'
  const message = payload.toString('utf8', hasState ? 9 : 3);
  return `error ${code}: ${message}`;
}

function parseGreeting(payload) {
  if (payload[0] === 0xff) throw new ProbeError(`the server refused the connection (${mysqlErrorText(payload)})`);
  if (payload[0] !== 10) throw new ProbeError(`unsupported MySQL protocol version ${payload[0]}`);
  const versionEnd = payload.indexOf(0, 1);
  const serverVersion = payload.toString('utf8', 1, versionEnd);
  let offset = versionEnd + 1 + 4; // thread id
  const nonce1 = payload.subarray(offset, offset + 8);
  offset += 8 + 1 + 2 + 1 + 2 + 2; // filler, capability flags (low), charset, status, capability flags (high)
  const authDataLength = payload.readUInt8(offset);
  offset += 1 + 10;
  const nonce2Length = Math.max(13, authDataLength - 8);
  const nonce2 = payload.subarray(offset, offset + nonce2Length - 1); // the last byte is a NUL terminator
  offset += nonce2Length;
  const pluginEnd = payload.indexOf(0, offset);
  const plugin = payload.toString('utf8', offset, pluginEnd < 0 ? payload.length : pluginEnd);
  return { serverVersion, nonce: Buffer.concat([nonce1, nonce2]), plugin };
}

function encodeLogin(user, authResponse, plugin) {
  const fixed = Buffer.alloc(4 + 4 + 1 + 23);
  fixed.writeUInt32LE(CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, 0);
  fixed.writeUInt32LE(16 * 1024 * 1024, 4);
  fixed.writeUInt8(45, 8); // utf8mb4_general_ci
  return Buffer.concat([
    fixed,
    Buffer.from(`${user}\0`, 'utf8'),
    Buffer.from([authResponse.length]),
    authResponse,
    Buffer.from(`${plugin}\0`, 'utf8'),
  ]);
}

/**
 * Reads the greeting and logs in as `user`. Resolves with the server version once the server
 * accepts the login, rejects with the server's error (access denied, too many connections...).
 * NOTE: a non-empty password with caching_sha2_password may need TLS or RSA for the full
 * authentication. The probe then accepts the greeting alone, and the migrations, which use a
 * complete client, check the login.
 */
export async function probeMysql(host, port, user, password, timeoutMs = 3000) {
  let greeting;
  let sequence = 0;
  let consumed = 0;
  return exchange({
    host,
    port,
    timeoutMs,
    parse: (buffer, socket) => {
      const packets = readMysqlPackets(buffer.subarray(consumed));
      for (const packet of packets) {
        consumed += 4 + packet.payload.length;
        sequence = packet.sequence + 1;
        const { payload } = packet;

        if (greeting === undefined) {
          greeting = parseGreeting(payload);
          const plugin = password === '' ? greeting.plugin : 'mysql_native_password';
          socket.write(mysqlPacket(sequence, encodeLogin(user, nativePasswordResponse(password, greeting.nonce), plugin)));
          continue;
        }

        if (payload[0] === 0x00) {
          socket.write(mysqlPacket(0, Buffer.from([COM_QUIT])));
          return { serverVersion: greeting.serverVersion };
        }
        if (payload[0] === 0xff) throw new ProbeError(`login as ${user} failed (${mysqlErrorText(payload)})`);
        if (payload[0] === 0xfe) {
          // Auth switch request: plugin name, NUL, new nonce (with a trailing NUL).
          const pluginEnd = payload.indexOf(0, 1);
          const plugin = payload.toString('utf8', 1, pluginEnd);
          const nonce = payload.subarray(pluginEnd + 1, payload.length - 1);
          if (password === '') socket.write(mysqlPacket(sequence, Buffer.alloc(0)));
          else if (plugin === 'mysql_native_password') socket.write(mysqlPacket(sequence, nativePasswordResponse(password, nonce)));
          else return { serverVersion: greeting.serverVersion };
          continue;
        }
        // 0x01: more authentication data (caching_sha2_password), so the server is up.
        return { serverVersion: greeting.serverVersion };
      }
      return undefined;
    },
  });
}
