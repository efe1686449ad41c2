import type { webApi } from '@slack/bolt';
import type { Role } from '../../chat/message';
import type { Logger } from '../../core/log';

export interface RoleSettings {
  moderators: readonly string[];
  moderatorGroup: string | null;
  admins: readonly string[];
}

/** How long a user group's member list is trusted before Slack is asked again. */
export const GROUP_CACHE_MS = 60_000;

/**
 * Maps a Slack user to the assistant's roles: admins and moderators by user id, moderators also
 * by membership of a user group. The group's members are fetched once and kept briefly, so a
 * burst of messages or reactions costs one `usergroups.users.list` call.
 */
export class SlackRoles {
  private group: { members: Promise<ReadonlySet<string>>; until: number } | null = null;

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
    if (!this.group || this.group.until <= this.now()) {
      this.group = { members: this.fetchGroup(), until: this.now() + GROUP_CACHE_MS };
    }
    return this.group.members;
  }

  private async fetchGroup(): Promise<ReadonlySet<string>> {
    const usergroup = this.settings.moderatorGroup!;
    try {
      const result = await this.client.usergroups.users.list({ usergroup });
      return new Set(result.users ?? []);
    } catch (error) {
      // Ask again on the next check instead of trusting an empty list for a minute.
      this.group = null;
      this.log.warn('could not read the Slack moderator group; its members count as regular users for now', {
        usergroup,
        error,
      });
      return new Set();
    }
  }
}
