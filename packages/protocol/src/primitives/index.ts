export { Reader } from './reader';
export { Writer } from './writer';
export { Uuid, ZERO_UUID, uuidFromBytes, uuidToBytes, parseUuid, randomUuid } from './uuid';
