/** The classic group states, named as DescribeGroups and ListGroups report them. */
export enum GroupState {
  Empty = 'Empty',
  PreparingRebalance = 'PreparingRebalance',
  CompletingRebalance = 'CompletingRebalance',
  Stable = 'Stable',
  Dead = 'Dead',
}

/** Kafka's `validPreviousStates`: a transition from any other state is a coordinator bug. */
const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  [GroupState.Empty]: [GroupState.PreparingRebalance],
  [GroupState.PreparingRebalance]: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  [GroupState.CompletingRebalance]: [GroupState.PreparingRebalance],
  [GroupState.Stable]: [GroupState.CompletingRebalance],
  [GroupState.Dead]: [
    GroupState.Stable,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Empty,
    GroupState.Dead,
  ],
};

export function isValidTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** Thrown only for a transition the state machine forbids: a bug, never a protocol outcome. */
export class IllegalGroupTransitionError extends Error {
  constructor(groupId: string, from: GroupState, to: GroupState) {
    super(`group ${groupId} cannot move from ${from} to ${to}`);
    this.name = 'IllegalGroupTransitionError';
  }
}
