import { isCi } from './peers';
import { sharedReferenceDir } from './paths';

/**
 * `describe` for a block that reads `../shared/kafka-reference`. A user's clone has no such folder, so there
 * the block is skipped with a printed reason; CI always has it, so under CI=true its absence fails.
 * The body receives the folder's path.
 */
export function describeWithSharedReference(title: string, body: (referenceDir: string) => void): void {
  const dir = sharedReferenceDir();
  if (dir) {
    describe(title, () => body(dir));
    return;
  }
  const reason = '../shared/kafka-reference is absent beside the repository';
  if (isCi()) {
    describe(title, () => {
      test('has ../shared/kafka-reference', () => {
        throw new Error(`CI=true and ${reason}`);
      });
    });
    return;
  }
  console.warn(`skipping "${title}": ${reason}`);
  describe.skip(title, () => body(''));
}
