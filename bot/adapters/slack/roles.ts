import { webApi } from '@slack/bolt';
import type { Role } from '../../chat/message';
import type { Logger } from '../../core/log';

export interface RoleSettings {
  moderators: readonly string[];
  moderatorGroup: string | null;
  admins: readonly string[];
}

/** How long a user group's member list is trusted before Slack is asked again. */
export const GROUP_CACHE_MS = 60_000;
/** After a failure that may pass by itself (the network, Slack's own trouble): how long before asking again. */
export const GROUP_RETRY_MS = 30_000;
/** After Slack refuses the lookup itself (a free plan, a missing scope, no such group): how long until asking again. */
export const GROUP_UNAVAILABLE_MS = 60 * 60_000;

/** Slack errors that say nothing about whether the lookup can ever work. */
const PASSING_ERRORS = new Set(['fatal_error', 'internal_error', 'request_timeout', 'service_unavailable']);

/** What the operator can do about Slack's refusals, where that is known. */
const UNAVAILABLE_HINTS: Readonly<Record<string, string>> = {
  plan_upgrade_required: 'user groups need a paid Slack plan',
  paid_teams_only: 'user groups need a paid Slack plan',
  missing_scope: 'the app lacks the usergroups:read scope: add it and reinstall the app',
  no_such_subteam: 'SLACK_MODERATOR_GROUP names no user group of this workspace',
};

/** How long Slack's answer says to leave the lookup alone, and whether the group cannot be read at all. */
interface Wait {
  ms: number;
  unavailable?: string;
}

function waitAfter(error: unknown): Wait {
  const { code, retryAfter, data } = error as { code?: string; retryAfter?: number; data?: { error?: unknown } };
  if (code === webApi.ErrorCode.RateLimitedError && typeof retryAfter === 'number') return { ms: retryAfter * 1000 };
  const refusal = code === webApi.ErrorCode.PlatformError && typeof data?.error === 'string' ? data.error : undefined;
  if (refusal && !PASSING_ERRORS.has(refusal)) return { ms: GROUP_UNAVAILABLE_MS, unavailable: refusal };
  return { ms: GROUP_RETRY_MS };
}

/**
 * Maps a Slack user to the assistant's roles: admins and moderators by user id, moderators also
 * by membership of a user group. `usergroups.users.list` is rate-limited (Tier 2) and refused on
 * free workspaces, and every message and reaction needs the roles, so its answers are kept: the
 * members for a minute, a failure as long as it says (Retry-After), a refusal for an hour. Until
 * Slack answers again the last members known count (none after a refusal).
 */
export class SlackRoles {
  private members: ReadonlySet<string> = new Set();
  private askAgainAt = 0;
  private lookup: Promise<ReadonlySet<string>> | null = null;
  private toldUnavailable = false;

  /** `client` should reject rate-limited calls, not wait them out: a message must not wait a minute for roles. */
  constructor(
    private readonly client: webApi.WebClient,
    private readonly settings: RoleSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async rolesOf(userId: string): Promise<Role[]> {
    if (this.settings.admins.includes(userId)) return ['admin', 'moderator'];
    if (this.settings.moderators.includes(userId)) return ['moderator'];
    if (this.settings.moderatorGroup && (await this.groupMembers()).has(userId)) return ['moderator'];
    return [];
  }

  private groupMembers(): Promise<ReadonlySet<string>> {
    if (this.lookup) return this.lookup;
    if (this.now() < this.askAgainAt) return Promise.resolve(this.members);
    this.lookup = this.fetchGroup().finally(() => (this.lookup = null));
    return this.lookup;
  }

  private async fetchGroup(): Promise<ReadonlySet<string>> {
    const usergroup = this.settings.moderatorGroup!;
    try {
      const result = await this.client.usergroups.users.list({ usergroup });
      this.members = new Set(result.users ?? []);
      this.askAgainAt = this.now() + GROUP_CACHE_MS;
      this.toldUnavailable = false;
    } catch (error) {
      const wait = waitAfter(error);
      this.askAgainAt = this.now() + wait.ms;
      if (wait.unavailable) this.unavailable(usergroup, wait.unavailable);
      else
        this.log.warn('could not read the Slack moderator group; the members last known count until it is read again', {
          usergroup,
          retryInSeconds: Math.ceil(wait.ms / 1000),
          error,
        });
    }
    return this.members;
  }

  private unavailable(usergroup: string, reason: string) {
    this.members = new Set();
    if (this.toldUnavailable) return;
    this.toldUnavailable = true;
    this.log.warn(
      'Slack user-group roles are unavailable: members of SLACK_MODERATOR_GROUP count as regular users (name moderators in SLACK_MODERATORS instead); asking Slack again in an hour',
      { usergroup, reason, hint: UNAVAILABLE_HINTS[reason] },
    );
  }
}
