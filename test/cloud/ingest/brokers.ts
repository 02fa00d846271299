// The brokers the ingest tests run against: the embedded one (aedes, MQTT 3.1.1) and a real
// Mosquitto (MQTT 5, plain), started by the test on a free port (test/helpers/mosquitto.ts).
// Not the machine's broker on 1883: the uplink topics and the shared-subscription group are
// fixed, so test files running in parallel there would take each other's messages and acks.
import { startEmbeddedBroker } from '../../../cloud/broker.js';
import { startMosquitto } from '../../helpers/mosquitto.js';

export interface TestBroker {
  url: string;
  close(): Promise<void>;
}

export interface BrokerKind {
  readonly name: string;
  /** The protocol the ingest should pick on it. */
  readonly protocolVersion: 4 | 5;
  start(): Promise<TestBroker>;
}

export const EMBEDDED: BrokerKind = {
  name: 'embedded broker (aedes, MQTT 3.1.1)',
  protocolVersion: 4,
  async start() {
    const broker = await startEmbeddedBroker();
    return { url: broker.url, close: () => broker.close() };
  },
};

export const MOSQUITTO: BrokerKind = {
  name: 'Mosquitto (MQTT 5)',
  protocolVersion: 5,
  async start() {
    const broker = await startMosquitto(null, { tls: false });
    return { url: broker.url, close: () => broker.stop() };
  },
};

export const BROKERS: BrokerKind[] = [EMBEDDED, MOSQUITTO];
