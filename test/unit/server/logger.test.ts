import { describe, expect, it } from 'vitest';
import { auditLogger } from '../../../src/server/logger.ts';

describe('auditLogger', () => {
  it('a file descriptor that is not open fails at start, not on the first audited request', () => {
    expect(() => auditLogger({ fd: 987 })).toThrow(/EBADF/);
  });
  it('no target, no audit log', () => {
    expect(auditLogger(null)).toBeNull();
  });
});
