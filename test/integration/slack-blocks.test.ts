/** The Slack shapes of replies and the way back from Slack's text and messages, without a workspace. */
import { readFile } from 'node:fs/promises';
import {
  ANSWER_EVENT_TYPE,
  CORRECT_SHORTCUT,
  CORRECTION_BLOCKS,
  CORRECTION_INPUT,
  CORRECTION_SELECT,
  correctionModal,
  correctionOf,
  correctionTargetOf,
  exchangeIdOf,
  plainText,
  renderProgress,
  renderReply,
} from '../../bot/adapters/slack/blocks';
import { slackManifest } from '../../bot/adapters/slack/app-manifest';
import { buildFacts } from '../../bot/answers/facts';
import { commands, findCommand, menuCommands } from '../../bot/commands';
import { checkOptions } from '../../bot/commands/options';
import { makeReport } from '../helpers/report';
import { runScript } from '../helpers/run-script';

type ModalElement = { type: string; max_length?: number; options?: { value: string }[] };

/** The longest text an input block of the modal takes. */
function maxLengthOf(modal: ReturnType<typeof correctionModal>, blockId: string): number {
  const input = (modal.blocks as { block_id?: string; element?: ModalElement }[]).find((b) => b.block_id === blockId);
  return input!.element!.max_length!;
}

describe('Slack text and blocks', () => {
  test("plainText drops the bot's mention and shows links, channels and people as a reader sees them", () => {
    expect(
      plainText(
        '<@U0BOT> rain in <#C0123|paris-office> &amp; <https://example.com/paris|Paris> &lt;tomorrow&gt;?',
        'U0BOT',
      ),
    ).toBe('rain in #paris-office & Paris <tomorrow>?');
    expect(plainText('hey <@U0BOT|weatherbot>, ask <@U0ALICE> about <!here> at <https://example.com>', 'U0BOT')).toBe(
      'hey ask @U0ALICE about @here at https://example.com',
    );
  });

  test('a weather reply becomes the answer, one section of fields per period, and a context with the exchange id', () => {
    const report = makeReport({ today: '2026-11-25' }); // a Wednesday
    const facts = buildFacts(report, { when: 'weekend', aspect: 'rain' });
    const message = renderReply({
      kind: 'weather',
      text: 'Rain & wind <soon>',
      exchangeId: '000042-0137',
      report,
      facts,
    });

    expect(message.text).toBe('Rain &amp; wind &lt;soon&gt;');
    expect(message.metadata).toEqual({ event_type: ANSWER_EVENT_TYPE, event_payload: { exchange_id: '000042-0137' } });
    const [answer, saturday, sunday, context] = message.blocks as {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
      elements?: { text: string }[];
    }[];
    expect(answer.text!.text).toBe(message.text);
    expect(saturday.text!.text).toBe('*Sat 28 Nov* · partly cloudy');
    // The question was about rain; the fields still show the whole picture of the same days.
    expect(saturday.fields!.map((f) => f.text)).toEqual([
      '*Temperature*\n17°C / 9°C, feels like 16°C',
      '*Wind*\n23 km/h SW',
      '*Humidity*\n73%',
      '*Precipitation*\n13% chance, 0 mm',
      '*Place*\n' + facts.place,
    ]);
    expect(sunday.text!.text).toBe('*Sun 29 Nov* · partly cloudy');
    expect(sunday.fields!.map((f) => f.text)).not.toContainEqual(expect.stringContaining('*Place*'));
    expect(context.elements![0].text).toMatch(/^Weather data by Open-Meteo · exchange 000042-0137 · /);
  });

  test('a reply that captured nothing carries no metadata and no context; progress is a single line', () => {
    expect(renderReply({ kind: 'command', text: 'Got it.' })).toEqual({
      text: 'Got it.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Got it.' } }],
    });
    expect(renderProgress('step 3 of 10').text).toBe('⏳ step 3 of 10');
  });

  test('the exchange id is read from metadata, else from the context block', () => {
    const fromContext = {
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'exchange 999999-9999 in the answer text does not count' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Weather data by Open-Meteo · exchange 000042-0137' }] },
      ],
    };
    expect(exchangeIdOf(fromContext)).toBe('000042-0137');
    expect(
      exchangeIdOf({
        ...fromContext,
        metadata: { event_type: ANSWER_EVENT_TYPE, event_payload: { exchange_id: '000001-0001' } },
      }),
    ).toBe('000001-0001');
    expect(
      exchangeIdOf({ metadata: { event_type: 'someone_else', event_payload: { exchange_id: '000001-0001' } } }),
    ).toBeUndefined();
    expect(exchangeIdOf(undefined)).toBeUndefined();
  });

  test('the correction modal carries its target, shows the answer as written and asks for each part of the reading', () => {
    const target = {
      channel: 'C0GENERAL',
      ts: '1764086400.000002',
      threadTs: '1764086400.000001',
      exchangeId: '000042-0137',
    };
    const modal = correctionModal(target, 'Sun &amp; clouds');
    expect(correctionTargetOf(modal.private_metadata!)).toEqual(target);
    expect(correctionTargetOf('not ours')).toBeUndefined();
    const blocks = modal.blocks as { type: string; block_id?: string; optional?: boolean; element?: ModalElement }[];
    expect(JSON.stringify(blocks)).toContain('*The answer now*\\nSun &amp; clouds');
    const inputs = blocks.filter((block) => block.type === 'input');
    expect(inputs.map((block) => [block.block_id, block.element!.type, block.optional])).toEqual([
      [CORRECTION_BLOCKS.weather, 'static_select', true],
      [CORRECTION_BLOCKS.place, 'plain_text_input', true],
      [CORRECTION_BLOCKS.when, 'static_select', true],
      [CORRECTION_BLOCKS.aspect, 'static_select', true],
      [CORRECTION_BLOCKS.units, 'static_select', true],
      [CORRECTION_BLOCKS.answer, 'plain_text_input', true],
    ]);
    // Nothing is prefilled: a modal submitted as it opened corrects nothing.
    expect(JSON.stringify(inputs)).not.toMatch(/initial_(value|option)/);
  });

  test('every choice the modal offers is one the correct command takes, and no text is longer than it takes', () => {
    const modal = correctionModal({ channel: 'C0GENERAL', ts: '1.000001', exchangeId: '000042-0137' }, '');
    const command = findCommand('correct')!;
    for (const block of modal.blocks as { block_id?: string; element?: ModalElement }[]) {
      const element = block.element;
      if (element?.type !== 'static_select') continue;
      for (const { value } of element.options!) {
        const read = checkOptions(command.options, { exchange: '000042-0137', [block.block_id!]: value });
        expect([block.block_id, value, 'problem' in read ? read.problem : 'ok']).toEqual([block.block_id, value, 'ok']);
      }
    }
    const place = 'P'.repeat(maxLengthOf(modal, CORRECTION_BLOCKS.place));
    const answer = 'A'.repeat(maxLengthOf(modal, CORRECTION_BLOCKS.answer));
    expect(checkOptions(command.options, { exchange: '000042-0137', place, answer })).toHaveProperty('values');
  });

  test('a submitted modal becomes the options that were filled in; "Dallas, TX" is a place and a region', () => {
    const text = (value: string | null) => ({ [CORRECTION_INPUT]: { type: 'plain_text_input', value } });
    const select = (value: string | null) => ({
      [CORRECTION_SELECT]: {
        type: 'static_select',
        selected_option: value === null ? null : { text: { type: 'plain_text' as const, text: value }, value },
      },
    });
    const state = (filled: Partial<Record<keyof typeof CORRECTION_BLOCKS, string>>) => ({
      [CORRECTION_BLOCKS.weather]: select(filled.weather ?? null),
      [CORRECTION_BLOCKS.place]: text(filled.place ?? null),
      [CORRECTION_BLOCKS.when]: select(filled.when ?? null),
      [CORRECTION_BLOCKS.aspect]: select(filled.aspect ?? null),
      [CORRECTION_BLOCKS.units]: select(filled.units ?? null),
      [CORRECTION_BLOCKS.answer]: text(filled.answer ?? null),
    });

    expect(correctionOf(state({ place: ' Fort Worth, Texas, US ', when: 'tomorrow', aspect: 'rain' }))).toEqual({
      options: { place: 'Fort Worth', region: 'Texas, US', when: 'tomorrow', aspect: 'rain' },
    });
    expect(correctionOf(state({ place: 'Dallas', units: 'f', answer: ' Hot. ' }))).toEqual({
      options: { place: 'Dallas', units: 'f', answer: 'Hot.' },
    });
    expect(correctionOf(state({ weather: 'no' }))).toEqual({ options: { weather: 'no' } });
    expect(correctionOf(state({ answer: '   ' }))).toEqual({
      errors: { [CORRECTION_BLOCKS.answer]: expect.any(String) },
    });
    expect(correctionOf(state({ place: ', TX' }))).toEqual({
      errors: { [CORRECTION_BLOCKS.place]: expect.any(String) },
    });
    expect(correctionOf(state({ place: 'Portland, Maine, US' }))).toEqual({
      options: { place: 'Portland', region: 'Maine, US' },
    });
  });
});

describe('the Slack app manifest', () => {
  const committed = () => readFile(new URL('../../docs/slack-manifest.yml', import.meta.url), 'utf8');

  test('docs/slack-manifest.yml is what `npm run --silent cli -- manifest slack` writes from the command registry now', async () => {
    // When this fails, regenerate it: npm run --silent cli -- manifest slack --out docs/slack-manifest.yml
    const manifest = await committed();
    expect(slackManifest()).toBe(manifest);
    expect(await runScript('scripts/cli.ts', ['manifest', 'slack'])).toEqual({ code: 0, stdout: manifest, stderr: '' });
  }, 30_000);

  test('subscribes to what the adapter listens for, in Socket Mode, with the shortcut and the commands', async () => {
    const manifest = await committed();
    expect(manifest).toContain(`callback_id: ${CORRECT_SHORTCUT}`);
    expect(manifest).toMatch(/bot_events:\n\s+- app_mention\n\s+- message\.im\n\s+- reaction_added\n/);
    expect(manifest).toMatch(/socket_mode_enabled: true/);
    const commands = [...manifest.matchAll(/- command: \/(\w+)/g)].map((match) => match[1]);
    for (const name of ['weather', 'units', 'setlocation']) expect(findCommand(name)).toBeDefined();
    // Every menu command but /help, which Slack keeps for itself.
    expect(commands).toEqual(menuCommands.map((command) => command.name).filter((name) => name !== 'help'));
    expect(manifest).toContain('      usage_hint: "[me|channel] c|f"\n');
    for (const scope of [
      'app_mentions:read',
      'chat:write',
      'commands',
      'im:history',
      'reactions:read',
      'reactions:write',
      'channels:history',
      'groups:history',
      'usergroups:read',
    ]) {
      expect(manifest).toContain(`      - ${scope}\n`);
    }
  });

  test("the README's Slack section lists the manifest's slash commands and says how every other command is used", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('\n### Slack\n');
    const section = readme.slice(start, readme.indexOf('\n## ', start));
    const registered = [...(await committed()).matchAll(/- command: (\/\w+)/g)].map((match) => match[1]);
    const listed = section.match(/\*\*Slash commands:\*\* (.*)\./)![1];
    expect([...listed.matchAll(/`(\/\w+)`/g)].map((match) => match[1])).toEqual(registered);
    for (const command of commands.filter((command) => !registered.includes(`/${command.name}`))) {
      expect(section).toContain(`@WeatherBot /${command.name}`);
    }
  });
});
