import {
  FaultyFileSystem,
  KafkaStorageError,
  LogManager,
  ManualClock,
  MemoryFileSystem,
  type StorageLogger,
  logConfig,
} from '../src';
import { batchOf } from './helpers';

function recordingLogger(): StorageLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };
}

describe('LogManager', () => {
  it('creates logs across dirs, writes the four checkpoints and meta.properties, and reloads them', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const options = { fs, clock, logDirs: ['/a', '/b'], identity: { brokerId: 1, clusterId: 'c1' } };
    const manager = LogManager.open(options);
    const p0 = manager.getOrCreateLog('orders', 0);
    const p1 = manager.getOrCreateLog('orders', 1);
    expect(new Set([p0.dir, p1.dir])).toEqual(new Set(['/a/orders-0', '/b/orders-1']));
    p0.append(batchOf(3));
    p1.append(batchOf(2));
    p1.deleteRecordsBefore(1n);
    manager.close();

    const dirOf0 = p0.dir.slice(0, 2);
    expect(fs.readFile(`${dirOf0}/recovery-point-offset-checkpoint`).toString()).toBe('0\n1\norders 0 3\n');
    expect(fs.readFile(`${dirOf0}/replication-offset-checkpoint`).toString()).toBe('0\n1\norders 0 3\n');
    expect(fs.readFile(`${dirOf0}/log-start-offset-checkpoint`).toString()).toBe('0\n0\n');
    expect(fs.readFile(`${p1.dir.slice(0, 2)}/log-start-offset-checkpoint`).toString()).toBe('0\n1\norders 1 1\n');
    expect(fs.readFile('/a/meta.properties').toString()).toContain('broker.id=1');
    expect(fs.exists('/a/.kafka_cleanshutdown')).toBe(true);

    const reopened = LogManager.open(options);
    expect(fs.exists('/a/.kafka_cleanshutdown')).toBe(false);
    expect(reopened.getLog('orders', 0)?.logEndOffset).toBe(3n);
    expect(reopened.getLog('orders', 1)?.logStartOffset).toBe(1n);
    expect(reopened.getLog('orders', 1)?.highWatermark).toBe(2n);
    expect(reopened.getLog('orders', 2)).toBeUndefined();
    reopened.close();
  });

  it('keeps the topic id in partition.metadata and refuses a different one', () => {
    const fs = new MemoryFileSystem();
    const manager = LogManager.open({ fs, clock: new ManualClock(), logDirs: ['/a'] });
    const log = manager.getOrCreateLog('t', 0);
    expect(log.topicId).toBeUndefined();
    log.setTopicId('9mdSy3bKQ-KSpBXn3tUM4A');
    expect(fs.readFile('/a/t-0/partition.metadata').toString()).toBe('version: 0\ntopic_id: 9mdSy3bKQ-KSpBXn3tUM4A\n');
    expect(() => log.setTopicId('AAAAAAAAAAAAAAAAAAAAAA')).toThrow(KafkaStorageError);
    manager.updateConfig('t', logConfig({ retentionMs: 5 }));
    expect(log.config.retentionMs).toBe(5);
  });

  it('refuses a log dir that belongs to another cluster and keeps serving the others', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    LogManager.open({ fs, clock, logDirs: ['/a'], identity: { brokerId: 1, clusterId: 'other' } }).close();
    const logger = recordingLogger();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a', '/b'], identity: { brokerId: 1, clusterId: 'mine' }, logger });
    expect([...manager.offlineDirs]).toEqual(['/a']);
    expect(logger.lines.some((l) => l.startsWith('ERROR log dir /a is offline') && l.includes('cluster other'))).toBe(true);
    expect(manager.getOrCreateLog('t', 0).dir).toBe('/b/t-0');
  });

  it('takes a dir offline when a write fails there; its partitions answer KAFKA_STORAGE_ERROR, others keep working', () => {
    const faulty = new FaultyFileSystem(new MemoryFileSystem(), 7);
    const logger = recordingLogger();
    const manager = LogManager.open({ fs: faulty, clock: new ManualClock(), logDirs: ['/a', '/b'], logger });
    const onA = manager.getOrCreateLog('t', 0);
    const onB = manager.getOrCreateLog('t', 1);
    expect(onA.dir.startsWith('/a')).toBe(true);
    faulty.pathFilter = (p) => p.startsWith('/a/');
    faulty.failNextWrite('EIO');
    expect(() => onA.append(batchOf(1))).toThrow(KafkaStorageError);
    expect([...manager.offlineDirs]).toEqual(['/a']);
    expect(() => manager.getLog('t', 0)).toThrow(KafkaStorageError);
    expect(onB.append(batchOf(1)).firstOffset).toBe(0n);
    expect(manager.getOrCreateLog('t', 2).dir).toBe('/b/t-2');
    expect(logger.lines.some((l) => l.includes('log dir /a is offline'))).toBe(true);
  });

  it('runs retention, delayed deletion and recovery-point checkpoints from tick() on the injected clock', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({
      fs,
      clock,
      logDirs: ['/a'],
      configFor: () => logConfig({ retentionMs: 60_000, segmentBytes: 400, fileDeleteDelayMs: 30_000 }),
      retentionCheckIntervalMs: 10_000,
    });
    const log = manager.getOrCreateLog('t', 0);
    for (let i = 0; i < 6; i++) log.append(batchOf(1, { valueBytes: 200, timestamp: clock.nowMs() }));
    clock.advance(61_000);
    manager.tick();
    expect(log.logStartOffset).toBe(6n);
    expect(fs.readdir('/a/t-0').some((n) => n.endsWith('.deleted'))).toBe(true);
    clock.advance(31_000);
    manager.tick();
    expect(fs.readdir('/a/t-0').some((n) => n.endsWith('.deleted'))).toBe(false);
    expect(fs.readFile('/a/recovery-point-offset-checkpoint').toString()).toMatch(/^0\n1\nt 0 \d+\n$/);
  });

  it('flushes by flush.ms and moves the recovery point', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a'], configFor: () => logConfig({ flushMs: 5000 }) });
    const log = manager.getOrCreateLog('t', 0);
    log.append(batchOf(2));
    expect(log.recoveryPoint).toBe(0n);
    clock.advance(5000);
    manager.tick();
    expect(log.recoveryPoint).toBe(2n);
    fs.crash();
    expect(fs.readFile('/a/t-0/00000000000000000000.log').length).toBe(batchOf(2).length);
  });

  it('fsyncs rolled segments after a delay and moves the recovery point to the active segment, as Kafka does', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a'], configFor: () => logConfig({ segmentBytes: 500 }), rolledSegmentFlushDelayMs: 30_000 });
    const log = manager.getOrCreateLog('t', 0);
    for (let i = 0; i < 5; i++) log.append(batchOf(1, { valueBytes: 200 }));
    const active = log.activeSegment.baseOffset;
    expect(active).toBeGreaterThan(0n);
    clock.advance(1000);
    manager.tick();
    expect(log.recoveryPoint).toBe(0n);
    clock.advance(30_000);
    manager.tick();
    expect(log.recoveryPoint).toBe(active);
    // A power loss now loses at most the active segment's unflushed tail.
    fs.crash();
    const reopened = LogManager.open({ fs, clock, logDirs: ['/a'] }).getLog('t', 0);
    expect(reopened?.logEndOffset).toBeGreaterThanOrEqual(active);
  });

  it('flushes after flush.messages records', () => {
    const manager = LogManager.open({ fs: new MemoryFileSystem(), clock: new ManualClock(), logDirs: ['/a'], configFor: () => logConfig({ flushMessages: 3 }) });
    const log = manager.getOrCreateLog('t', 0);
    log.append(batchOf(2));
    expect(log.recoveryPoint).toBe(0n);
    log.append(batchOf(1));
    expect(log.recoveryPoint).toBe(3n);
  });

  it('deletes a partition by renaming its dir to -delete and removing it later', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a'], configFor: () => logConfig({ fileDeleteDelayMs: 1000 }) });
    manager.getOrCreateLog('t', 0).append(batchOf(1));
    manager.deleteLog('t', 0);
    expect(manager.getLog('t', 0)).toBeUndefined();
    const renamed = fs.readdir('/a').filter((n) => n.endsWith('-delete'));
    expect(renamed).toHaveLength(1);
    expect(renamed[0]).toMatch(/^t-0\.[0-9a-f]{32}-delete$/);
    clock.advance(1000);
    manager.tick();
    expect(fs.readdir('/a').filter((n) => n.endsWith('-delete'))).toEqual([]);
  });

  it('recovers after an unclean stop from the checkpointed recovery point', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a'] });
    const log = manager.getOrCreateLog('t', 0);
    log.append(batchOf(2));
    log.flush();
    manager.checkpointRecoveryPoints();
    log.append(batchOf(2));
    log.append(batchOf(2));
    // Power loss: the last two appends were never flushed.
    fs.crash();
    const reopened = LogManager.open({ fs, clock, logDirs: ['/a'] });
    expect(reopened.getLog('t', 0)?.logEndOffset).toBe(2n);
  });
});
