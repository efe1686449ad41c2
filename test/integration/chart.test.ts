import sharp from 'sharp';
import { forecastChart } from '../../bot/answers/chart';
import { OpenMeteoProvider } from '../../bot/weather/openmeteo';
import { WeatherService } from '../../bot/weather/service';
import { message, startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.stop());

const ask = (text: string, user = 'chart-user') => bot.assistant.handle(message(text, { user }));

/** The PNG decoded: its size, and how many pixels are close to each colour asked about. */
async function pixels(png: Uint8Array, colors: Record<string, [number, number, number]>) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const counts = Object.fromEntries(Object.keys(colors).map((name) => [name, 0]));
  let dark = 0;
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (r + g + b < 200) dark++;
    for (const [name, [cr, cg, cb]] of Object.entries(colors)) {
      if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 60) counts[name]++;
    }
  }
  return { width: info.width, height: info.height, counts, dark };
}

describe('/chart: the forecast as a picture', () => {
  test('a PNG at chat size with the temperature line, precipitation bars and its text drawn', async () => {
    const reply = await ask('/chart Berlin 3');
    expect(reply.kind).toBe('command');
    expect(reply.text).toBe('Forecast for Berlin, DE, the next 3 days:');
    expect(reply.image?.name).toBe('forecast.png');
    expect(reply.image?.alt).toMatch(
      /^Forecast chart for Berlin, DE: temperature by hour and chance of precipitation\./,
    );
    const { width, height, counts, dark } = await pixels(reply.image!.png, {
      temperature: [0xd9, 0x48, 0x0f],
      // The bars' blue at 55% over white.
      precipitation: [0x97, 0xbd, 0xe8],
    });
    expect({ width, height }).toEqual({ width: 1280, height: 720 });
    expect(counts.temperature).toBeGreaterThan(2000);
    expect(counts.precipitation).toBeGreaterThan(2000);
    // Title, day names, axis labels: dark text, not an empty frame.
    expect(dark).toBeGreaterThan(3000);
  });

  test("its numbers are the report's: each day's high and low, hours in the place's time, the user's units", async () => {
    const provider = new OpenMeteoProvider({
      geocodingUrl: bot.emulator.geocodingUrl,
      forecastUrl: bot.emulator.forecastUrl,
    });
    const weather = new WeatherService(provider, { timeoutMs: 2000 });
    const place = await weather.resolvePlace('Denver', null);
    const report = await weather.forecast(place, 'imperial');
    const svg = forecastChart(report, 2)!;
    expect(svg).toContain('temperature (°F)');
    expect(svg).toContain(`local time (${place.timezone})`);
    const labels = [...svg.matchAll(/>(-?\d+)° \/ (-?\d+)°</g)].map(([, high, low]) => [Number(high), Number(low)]);
    expect(labels.length).toBeGreaterThanOrEqual(2);
    const days = report.daily.map((day) => [Math.round(day.temperatureMax), Math.round(day.temperatureMin)]);
    for (const label of labels) expect(days).toContainEqual(label);
    // One bar for each hour of the 48 with a chance of precipitation.
    const from = report.hourly.findIndex((hour) => hour.time >= report.current.time.slice(0, 13));
    const wet = report.hourly.slice(from, from + 48).filter((hour) => hour.precipitationProbability).length;
    expect(svg.match(/fill-opacity="0.55"\/>/g)!.length - 1).toBe(wet); // the legend's swatch is one more
  });

  test('the saved place when none is named; a clear answer for a place unknown, none saved, or days out of reach', async () => {
    expect((await ask('/chart', 'nobody')).kind).toBe('clarify');
    expect((await ask('/setlocation Hamburg', 'saved-user')).text).toMatch(/^Saved your location: Hamburg/);
    const saved = await ask('/chart 2', 'saved-user');
    expect(saved.text).toBe('Forecast for Hamburg, DE, the next 2 days:');
    expect(saved.image).toBeDefined();
    const unknown = await ask('/chart Atlantisville');
    expect(unknown.kind).toBe('error');
    expect(unknown.text).toMatch(/Atlantisville/);
    expect(unknown.image).toBeUndefined();
    expect(await ask('/chart Berlin 12')).toMatchObject({
      kind: 'error',
      text: 'A chart reaches 1 to 7 days ahead (you asked for 12).',
    });
  });
});
