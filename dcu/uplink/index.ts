// The DCU's uplink to the cloud over MQTT (ARCHITECTURE.md "Uplink contract"): the outbox
// sender (acked batches up, in the database's epoch; only signed acks of that epoch count), command intake (signed commands down, results up), the MQTT
// link (TLS with the DCU's identity, persistent session, status and last will).
export { Uplink, type UplinkOptions, type UplinkStatus } from './uplink.js';
export { CommandIntake, type CommandExecutor, type CommandIntakeOptions } from './commands.js';
export { OutboxSender, type OutboxOptions, type OutboxSettings, type StreamStatus } from './outbox.js';
export { MqttLink, UplinkOffline, type LinkUp, type MqttLinkOptions, type ProtocolVersion, type PublishOptions } from './mqtt-link.js';
export { loadIdentity, UplinkIdentityError, type ConnectionIdentity, type TlsIdentity } from './identity.js';
export { BatchBuilder, type BatchMessage } from './batches.js';
export { checkAck, type AckCheck, type AckContext, type AckRefusal } from './acks.js';
export { checkCommand, trustedKeysFromConfig, type CommandCheck, type RefusalReason, type TrustedKeys } from './verify.js';
export { Pacer } from './pacer.js';
export { silentLog, type UplinkLog } from './log.js';
