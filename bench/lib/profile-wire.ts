// The bytes a client receives when it reads a 1,000-row load profile over HDLC: a GET
// answered with GET-Response-With-Datablock blocks, each split into 128-byte I-frames
// (window 1). Built once by running the real encoders and a real client and server link
// back to back, so the bytes are what our own meter simulator would put on the wire.
// `receiveProfile` is what the client does with them; bench/protocol times it and
// test/bench/protocol.test.ts checks it gives the rows back.
import { concat } from '../../shared/bytes.js';
import { decodeData, encodeData } from '../../shared/dlms/axdr.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { dateTimeFromUtc, encodeDateTime } from '../../shared/dlms/datetime.js';
import { Obis } from '../../shared/dlms/obis.js';
import { DEFAULT_INVOKE, decodeApdu, encodeApdu } from '../../shared/dlms/apdu/index.js';
import { serverAddress } from '../../shared/hdlc/address.js';
import { HdlcClientLink, type HdlcClientConfig } from '../../shared/hdlc/client-link.js';
import type { LinkAction } from '../../shared/hdlc/link.js';
import { HdlcServerLink } from '../../shared/hdlc/server-link.js';

export interface ProfileWireOptions {
  rows?: number;
  /** Client max receive PDU size (from its InitiateRequest): no block APDU is longer. */
  maxPdu?: number;
  /** HDLC max info field length, both ways. */
  maxInfo?: number;
}

export interface ProfileWire {
  /** The profile's buffer as the meter encoded it: array of row structures. */
  profile: CosemData;
  rowCount: number;
  /** A-XDR bytes of `profile`, the value carried by the blocks. */
  data: Uint8Array;
  blocks: number;
  client: HdlcClientConfig;
  /** The meter's UA to the client's SNRM (connection set-up, not part of the GET). */
  ua: Uint8Array;
  /** GET-Request-Normal for buffer (attribute 2) of the load profile 1.0.99.1.0.255. */
  request: Uint8Array;
  /** Every frame the meter sends in answer to the GET, in order. */
  frames: Uint8Array[];
  /** Sum of frames' lengths, flags included: the bytes a serial line carries. */
  wireBytes: number;
}

const QUARTER_HOUR = 15 * 60_000;

/** Six columns as an IDIS-style load profile has them: clock, status, ±A (Wh), ±R (varh). */
export function makeProfile(rows: number): CosemData {
  let seed = 0x2545f491; // xorshift32: the same "random" consumption every run
  const rand = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const start = Date.UTC(2024, 2, 1, 0, 0); // fixed, so the bytes never depend on the clock
  let imp = 12_345_678, exp = 1_234_567, rImp = 3_456_789, rExp = 456_789;
  const value: CosemData[] = [];
  for (let i = 0; i < rows; i++) {
    imp += rand(1500); exp += rand(200); rImp += rand(400); rExp += rand(80);
    const status = rand(50) === 0 ? 0x80 : 0; // now and then a power-down flag
    value.push({ type: 'structure', value: [
      { type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(start + i * QUARTER_HOUR, -60, 0)) },
      { type: 'unsigned', value: status },
      { type: 'double-long-unsigned', value: imp },
      { type: 'double-long-unsigned', value: exp },
      { type: 'double-long-unsigned', value: rImp },
      { type: 'double-long-unsigned', value: rExp },
    ] });
  }
  return { type: 'array', value };
}

/** Header of a GET-Response-With-Datablock with a raw-data length in 82 xx xx form. */
const BLOCK_HEADER = 12;

export function buildProfileWire(options: ProfileWireOptions = {}): ProfileWire {
  const rowCount = options.rows ?? 1000;
  const maxPdu = options.maxPdu ?? 1024;
  const maxInfo = options.maxInfo ?? 128;
  const profile = makeProfile(rowCount);
  const data = encodeData(profile);
  // The meter cuts the value into blocks so that each whole APDU fits the client's PDU size.
  const perBlock = maxPdu - BLOCK_HEADER;
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += perBlock) {
    const n = blocks.length + 1;
    const apdu = encodeApdu({ kind: 'GetResponseWithDatablock', ...DEFAULT_INVOKE, lastBlock: at + perBlock >= data.length,
      blockNumber: n, result: { kind: 'raw-data', rawData: data.subarray(at, at + perBlock) } });
    if (apdu.length > maxPdu) throw new Error(`block ${n} is ${apdu.length} bytes, over the PDU size ${maxPdu}`);
    blocks.push(apdu);
  }
  const limits = { maxInfoTx: maxInfo, maxInfoRx: maxInfo, windowTx: 1, windowRx: 1 };
  const client: HdlcClientConfig = { client: 32, server: serverAddress(1, 0x1234), proposal: limits };
  const request = encodeApdu({ kind: 'GetRequestNormal', ...DEFAULT_INVOKE, attribute: { classId: 7, instanceId: Obis.loadProfile, attributeId: 2 } });

  // Run both links back to back, recording what the meter transmits.
  const c = new HdlcClientLink(client);
  const s = new HdlcServerLink({ logical: 1, physical: 0x1234, limits });
  const sent: Uint8Array[] = [];
  const toServer: Uint8Array[] = [];
  const fromClient = (actions: LinkAction[]): void => {
    for (const a of actions) if (a.kind === 'transmit') toServer.push(a.bytes);
  };
  const pump = (): void => {
    while (toServer.length > 0) {
      for (const a of s.received(toServer.shift()!, 0)) {
        if (a.kind === 'deliver') {
          const req = decodeApdu(a.apdu);
          const n = req.kind === 'GetRequestNormal' ? 0 : req.kind === 'GetRequestNext' ? req.blockNumber : -1;
          if (n < 0 || n >= blocks.length) throw new Error(`unexpected request ${req.kind}`);
          for (const b of s.send(blocks[n], 0)) if (b.kind === 'transmit') deliver(b.bytes);
        } else if (a.kind === 'transmit') deliver(a.bytes);
      }
    }
  };
  const deliver = (bytes: Uint8Array): void => {
    sent.push(bytes);
    for (const a of c.received(bytes, 0)) {
      if (a.kind === 'transmit') toServer.push(a.bytes);
      else if (a.kind === 'deliver') {
        const r = decodeApdu(a.apdu);
        if (r.kind === 'GetResponseWithDatablock' && !r.lastBlock) {
          fromClient(c.send(encodeApdu({ kind: 'GetRequestNext', ...DEFAULT_INVOKE, blockNumber: r.blockNumber }), 0));
        }
      } else if (a.kind === 'fail') throw a.error;
    }
  };
  fromClient(c.open(0));
  pump();
  if (c.state !== 'connected' || sent.length !== 1) throw new Error('the links did not connect');
  fromClient(c.send(request, 0));
  pump();
  const frames = sent.slice(1);
  return { profile, rowCount, data, blocks: blocks.length, client, ua: sent[0], request, frames,
    wireBytes: frames.reduce((sum, f) => sum + f.length, 0) };
}

/** A client link that has seen SNRM/UA, ready for `receiveProfile` (set-up kept out of timing). */
export function connectClient(wire: ProfileWire): HdlcClientLink {
  const link = new HdlcClientLink(wire.client);
  link.open(0);
  link.received(wire.ua, 0);
  if (link.state !== 'connected') throw new Error('client did not connect');
  return link;
}

/**
 * What a client does with the meter's bytes: the link deframes, checks and reassembles
 * the segments (its RR polls are produced and, here, dropped on the floor); each block
 * is decoded, its raw data kept and the next asked for; at the last block the
 * concatenated value is decoded. Returns the profile's buffer.
 */
export function receiveProfile(wire: ProfileWire, link: HdlcClientLink): CosemData {
  const raw: Uint8Array[] = [];
  let expected = 1;
  link.send(wire.request, 0);
  for (const frame of wire.frames) {
    for (const a of link.received(frame, 0)) {
      if (a.kind === 'fail') throw a.error;
      if (a.kind !== 'deliver') continue;
      const apdu = decodeApdu(a.apdu);
      if (apdu.kind !== 'GetResponseWithDatablock' || apdu.result.kind !== 'raw-data' || apdu.blockNumber !== expected) {
        throw new Error(`expected raw-data block ${expected}, got ${apdu.kind}`);
      }
      raw.push(apdu.result.rawData);
      if (apdu.lastBlock) return decodeData(concat(raw));
      link.send(encodeApdu({ kind: 'GetRequestNext', ...DEFAULT_INVOKE, blockNumber: expected++ }), 0);
    }
  }
  throw new Error('the frames ended before the last block');
}
