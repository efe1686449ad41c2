/**
 * Who a Discord user is to the assistant: the configured moderator/admin role (by id or name)
 * or the matching Discord permission. The assistant decides what each role may do.
 */
import { PermissionFlagsBits, type GuildMember, type PermissionsBitField, type User } from 'discord.js';
import type { Author, Role } from '../../chat/message';

export interface DiscordRoleSettings {
  /** Role id or name; Manage Messages also makes a moderator. */
  moderatorRole: string | null;
  /** Role id or name; Administrator also makes an admin. */
  adminRole: string | null;
}

/**
 * An interaction's member is a GuildMember when its server is cached, else the raw payload with role
 * ids; `roleNames` (id → name, fetched from the server) lets a role configured by name match those.
 */
export type AnyMember = GuildMember | { roles: string[]; roleNames?: ReadonlyMap<string, string> } | null;

/** A role setting that is not a snowflake is a name; only names need the server's role list. */
export const isRoleName = (setting: string | null): boolean => setting !== null && !/^\d{17,20}$/.test(setting);

function holdsRole(member: AnyMember, wanted: string | null): boolean {
  if (!member || !wanted) return false;
  const name = wanted.toLowerCase();
  if (Array.isArray(member.roles)) {
    const { roleNames } = member as { roleNames?: ReadonlyMap<string, string> };
    return member.roles.some((id) => id === wanted || roleNames?.get(id)?.toLowerCase() === name);
  }
  return (member as GuildMember).roles.cache.some((role) => role.id === wanted || role.name.toLowerCase() === name);
}

export function rolesOf(
  member: AnyMember,
  permissions: Readonly<PermissionsBitField> | null,
  settings: DiscordRoleSettings,
): Role[] {
  const roles: Role[] = [];
  if (permissions?.has(PermissionFlagsBits.ManageMessages) || holdsRole(member, settings.moderatorRole))
    roles.push('moderator');
  if (permissions?.has(PermissionFlagsBits.Administrator) || holdsRole(member, settings.adminRole)) roles.push('admin');
  return roles;
}

/** In DMs there is no member and so no role: DMs are for asking, moderation happens in servers. */
export function authorOf(
  user: User,
  member: AnyMember,
  permissions: Readonly<PermissionsBitField> | null,
  settings: DiscordRoleSettings,
): Author {
  return { id: user.id, name: user.username, roles: rolesOf(member, permissions, settings) };
}
