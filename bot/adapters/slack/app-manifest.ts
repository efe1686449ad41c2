/**
 * WeatherBot's Slack app manifest (docs/slack-manifest.yml, written by `npm run --silent cli --
 * manifest slack`): what the adapter listens for, and the slash commands from the registry.
 */
import { menuCommands, textSyntax, type Command } from '../../commands';
import { CORRECT_SHORTCUT } from './blocks';

/** Command names Slack keeps for itself. */
const SLACK_OWN_COMMANDS = new Set(['help']);

/** A YAML string: JSON's double-quoted strings are YAML's too. */
const quoted = (text: string) => JSON.stringify(text);

function slashCommand(command: Command): string {
  const hint = textSyntax(command.options);
  return [
    `    - command: /${command.name}`,
    `      description: ${quoted(command.description)}`,
    ...(hint ? [`      usage_hint: ${quoted(hint)}`] : []),
    '      should_escape: false',
    '      # url: https://weatherbot.example.com/slack/events   (HTTP mode only)',
  ].join('\n');
}

export function slackManifest(): string {
  const commands = menuCommands.filter((command) => !SLACK_OWN_COMMANDS.has(command.name));
  return `# WeatherBot's Slack app manifest. Paste it at https://api.slack.com/apps → Create New App →
# From an app manifest. It sets up Socket Mode (no public URL needed). For HTTP mode (README,
# "HTTP mode"): switch socket_mode_enabled off and fill in the three request URLs below.
# Written by \`npm run --silent cli -- manifest slack\` (its commands come from bot/commands/).
display_information:
  name: WeatherBot
  description: Live weather answers in chat; learns from answers your moderators approve.
  background_color: "#2c5f8a"
  long_description: >-
    Mention @WeatherBot or send it a direct message ("will it rain in Paris tomorrow?") and it
    answers in a thread with live data. Moderators approve an answer with ✅, reject it with ❌,
    or fix it with the "Correct answer" message shortcut; approved and corrected answers become
    training data for the bot's own language model, which admins retrain with /retrain.
features:
  app_home:
    home_tab_enabled: false
    messages_tab_enabled: true
    messages_tab_read_only_enabled: false
  bot_user:
    display_name: WeatherBot
    always_online: true
  shortcuts:
    - name: Correct answer
      type: message
      callback_id: ${CORRECT_SHORTCUT}
      description: Write a better version of one of WeatherBot's answers (moderators)
  slash_commands:
${commands.map(slashCommand).join('\n')}
oauth_config:
  scopes:
    bot:
      - app_mentions:read
      - channels:history
      - chat:write
      - commands
      - files:write
      - groups:history
      - im:history
      - im:read
      - im:write
      - reactions:read
      - reactions:write
      - usergroups:read
      - users:read
settings:
  event_subscriptions:
    # request_url: https://weatherbot.example.com/slack/events   (HTTP mode only)
    bot_events:
      - app_mention
      - message.im
      - reaction_added
  interactivity:
    is_enabled: true
    # request_url: https://weatherbot.example.com/slack/events   (HTTP mode only)
  org_deploy_enabled: false
  socket_mode_enabled: true
  token_rotation_enabled: false
`;
}
