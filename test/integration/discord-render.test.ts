/**
 * Replies in Discord's shape, checked against Discord's own size rules: what the renderer makes
 * is posted through discord.js's REST client to the local emulator, which enforces them.
 */
import { DiscordAPIError, REST, Routes } from 'discord.js';
import { clip, exchangeIdOf, renderReply, withModerationStatus } from '../../bot/adapters/discord/render';
import { buildFacts } from '../../bot/answers/facts';
import { renderAnswer } from '../../bot/answers/templates';
import type { Reply } from '../../bot/chat/message';
import type { Aspect, When } from '../../bot/core/domain';
import { startDiscordEmulator, type DiscordEmulator } from '../emulators/discord';
import { makeReport } from '../helpers/report';

let discord: DiscordEmulator;
let rest: REST;
beforeAll(async () => {
  discord = await startDiscordEmulator();
  rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
});
afterAll(async () => {
  rest.clearHashSweeper();
  rest.clearHandlerSweeper();
  await discord.close();
});

const post = (body: object) => rest.post(Routes.channelMessages(discord.channelId), { body });

function weatherReply(when: When, { aspect = 'general', text }: { aspect?: Aspect; text?: string } = {}): Reply {
  const report = makeReport({ condition: { code: 'snow', text: 'light snow' } });
  const facts = buildFacts(report, { when, aspect });
  return { kind: 'weather', text: text ?? renderAnswer(facts), report, facts, exchangeId: '000042-0137' };
}

test('a weather answer is an embed: condition icon, the answer, the period in numbers, the exchange in the footer', async () => {
  const { content, embeds } = renderReply(weatherReply('tomorrow', { aspect: 'wind' }));
  expect(content).toBe('');
  const [embed] = embeds;
  expect(embed.title).toMatch(/^🌧️ .+ — tomorrow \(Thu 26 Nov\)$/u);
  expect(embed.fields).toEqual([
    { name: 'Temperature', value: 'high 15°C, low 7°C, feels like 14°C', inline: true },
    { name: 'Wind', value: '21 km/h SW, gusts 42 km/h', inline: true },
    { name: 'Humidity', value: '71%', inline: true },
    { name: 'Precipitation', value: '80% chance, 6.4 mm', inline: true },
    { name: 'Place', value: 'Paris, Île-de-France, FR (48.85, 2.35)', inline: false },
  ]);
  // The aspect asked about adds its own details to the general picture.
  expect(renderReply(weatherReply('tomorrow', { aspect: 'sun' })).embeds[0].fields).toContainEqual({
    name: 'Sun',
    value: 'sunrise 07:41, sunset 16:51, UV 3',
    inline: true,
  });
  expect(embed.footer).toEqual({ text: 'exchange 000042-0137' });
  await expect(post({ content, embeds })).resolves.toMatchObject({
    embeds: [expect.objectContaining({ title: embed.title })],
  });
});

test('a weekend answer names the day on each field; the icon follows the first period', () => {
  const [embed] = renderReply(weatherReply('weekend')).embeds;
  expect(embed.title).toMatch(/^❄️ /u);
  const names = embed.fields!.map((f) => f.name);
  expect(names.filter((n) => n.endsWith('· Temperature'))).toHaveLength(2);
  expect(names[0]).toMatch(/^Sat \d+ Nov · Temperature$/);
});

test('text that would break Discord limits is cut with an ellipsis, and Discord accepts the result', async () => {
  const long = 'Sunny and warm. '.repeat(400); // 6400 characters
  const { embeds } = renderReply(weatherReply('now', { text: long }));
  expect(embeds[0].description).toHaveLength(4096);
  expect(embeds[0].description!.endsWith('…')).toBe(true);
  await expect(post({ embeds })).resolves.toBeTruthy();
  await expect(post({ embeds: [{ ...embeds[0], description: long }] })).rejects.toMatchObject({
    code: 50035,
    status: 400,
  });

  const plain = renderReply({ kind: 'command', text: 'x'.repeat(2500) });
  expect(plain).toEqual({ content: 'x'.repeat(1999) + '…', embeds: [] });
  await expect(post(plain)).resolves.toBeTruthy();
  await expect(post({ content: 'x'.repeat(2001) })).rejects.toBeInstanceOf(DiscordAPIError);
});

test('clip never splits an emoji in half', () => {
  expect(clip('ab☔️☔️', 4)).toBe('ab☔…');
  expect(clip('a😀b', 3)).toBe('a…');
  expect(clip('short', 10)).toBe('short');
});

test('the exchange id is read back from the footer, and the footer shows the moderation outcome', () => {
  const { embeds } = renderReply(weatherReply('now'));
  expect(exchangeIdOf({ embeds })).toBe('000042-0137');
  const approved = withModerationStatus(embeds, '000042-0137', 'approved');
  expect(approved[0].footer!.text).toBe('exchange 000042-0137 · approved ✅');
  expect(exchangeIdOf({ embeds: approved })).toBe('000042-0137');
  expect(exchangeIdOf({ embeds: [{ footer: { text: 'something else' } }] })).toBeNull();
});
