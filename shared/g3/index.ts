// The G3-PLC host interface: USI framing, ADP commands, IPv6/UDP, DLMS over G3.
export * from './usi.js';
export * from './adp.js';
export * from './ipv6.js';
export * from './dlms.js';
