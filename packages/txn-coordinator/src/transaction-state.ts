/**
 * The states of a transactional id, with the ids Kafka writes in `TransactionLogValue.transactionStatus` and the
 * names DescribeTransactions / ListTransactions report (Kafka 3.9's TransactionState).
 */
export enum TransactionState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  /** Being expired: its tombstone is in flight. Never persisted, never listed. */
  Dead = 6,
  /** Fencing an ongoing transaction by aborting it with a bumped epoch. Never persisted. */
  PrepareEpochFence = 7,
}

const NAMES: Record<TransactionState, string> = {
  [TransactionState.Empty]: 'Empty',
  [TransactionState.Ongoing]: 'Ongoing',
  [TransactionState.PrepareCommit]: 'PrepareCommit',
  [TransactionState.PrepareAbort]: 'PrepareAbort',
  [TransactionState.CompleteCommit]: 'CompleteCommit',
  [TransactionState.CompleteAbort]: 'CompleteAbort',
  [TransactionState.Dead]: 'Dead',
  [TransactionState.PrepareEpochFence]: 'PrepareEpochFence',
};

/** The states a transition into each state may start from; anything else is a bug in the coordinator. */
const VALID_PREVIOUS: Record<TransactionState, ReadonlySet<TransactionState>> = {
  [TransactionState.Empty]: new Set([TransactionState.Empty, TransactionState.CompleteCommit, TransactionState.CompleteAbort]),
  [TransactionState.Ongoing]: new Set([TransactionState.Ongoing, TransactionState.Empty, TransactionState.CompleteCommit, TransactionState.CompleteAbort]),
  [TransactionState.PrepareCommit]: new Set([TransactionState.Ongoing]),
  [TransactionState.PrepareAbort]: new Set([TransactionState.Ongoing, TransactionState.PrepareEpochFence]),
  [TransactionState.CompleteCommit]: new Set([TransactionState.PrepareCommit]),
  [TransactionState.CompleteAbort]: new Set([TransactionState.PrepareAbort]),
  [TransactionState.Dead]: new Set([TransactionState.Empty, TransactionState.CompleteAbort, TransactionState.CompleteCommit]),
  [TransactionState.PrepareEpochFence]: new Set([TransactionState.Ongoing]),
};

export function transactionStateName(state: TransactionState): string {
  return NAMES[state];
}

/** The state with that name, as ListTransactions' state filter names it; undefined for an unknown name. */
export function transactionStateFromName(name: string): TransactionState | undefined {
  for (const [state, stateName] of Object.entries(NAMES)) if (stateName === name) return Number(state) as TransactionState;
  return undefined;
}

/** The state with that id, as `__transaction_state` stores it; throws for an id no Kafka writes. */
export function transactionStateFromId(id: number): TransactionState {
  if (!Number.isInteger(id) || id < 0 || id > 7) throw new RangeError(`unknown transaction state id ${id} in the transaction log`);
  return id as TransactionState;
}

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS[to].has(from);
}

/** Only settled transactional ids may expire (transactional.id.expiration.ms). */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === TransactionState.Empty || state === TransactionState.CompleteCommit || state === TransactionState.CompleteAbort;
}
