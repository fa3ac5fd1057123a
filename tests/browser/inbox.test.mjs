// Drives headless Chromium (Debian's package) through the emulator's web inbox with
// playwright-core. Started by tests/emulator_web.rs, which has already sent two messages
// through the library and tells this script what to expect in environment variables:
//
//   INBOX_URL            https://127.0.0.1:PORT/inbox
//   HTML_SUBJECT         subject of the HTML message (inline image, attachment, <script>)
//   TEXT_SUBJECT         subject of the text message (sent after it)
//   LIVE_SUBJECT         subject of the message sent while the page is open
//   FROM_ADDRESS, TO_ADDRESS, XHEADER_NAME, XHEADER_VALUE, TEXT_SNIPPET
//   ATTACHMENT_NAME, ATTACHMENT_SHA256, INLINE_CID
//   SCREENSHOT           where to save a screenshot of the inbox (PNG)
//   MESSAGE_SCREENSHOT   (optional) where to save one of the opened HTML message
//   CHROMIUM             the browser (default /usr/bin/chromium)
//
// Protocol on stdin/stdout: the script prints "READY_FOR_LIVE" once the inbox shows the first
// two messages; the test then sends a third message and writes "SENT" on a line. Every check
// prints "ok - ..." ; any failure prints "FAIL - ..." and exits 1. The last line is
// "RESULT <json>".
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const INBOX_URL = env('INBOX_URL');
const ORIGIN = new URL(INBOX_URL).origin;
const expectations = {
  htmlSubject: env('HTML_SUBJECT'),
  textSubject: env('TEXT_SUBJECT'),
  liveSubject: env('LIVE_SUBJECT'),
  from: env('FROM_ADDRESS'),
  to: env('TO_ADDRESS'),
  xName: env('XHEADER_NAME'),
  xValue: env('XHEADER_VALUE'),
  textSnippet: env('TEXT_SNIPPET'),
  attachmentName: env('ATTACHMENT_NAME'),
  attachmentSha256: env('ATTACHMENT_SHA256'),
  inlineCid: env('INLINE_CID'),
};
const result = {};

function check(condition, what, detail) {
  if (!condition) {
    throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
  console.log(`ok - ${what}`);
}

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function waitForLine(expected) {
  for (;;) {
    const { value, done } = await stdinLines.next();
    if (done) throw new Error(`stdin closed before "${expected}"`);
    if (value.trim() === expected) return;
  }
}

const rows = (page) => page.locator('#messages tbody tr');
const rowSubjects = (page) => page.locator('#messages tbody tr td.subject').allTextContents();

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Root in a container: no sandbox. The closed network refuses Chromium's own background
    // connections, so those are turned off.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  try {
    // The emulator's CA is private: the test browser (a test driver only) accepts it.
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 720 },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    // A request the body's policy blocks still shows as a request, which then fails; what
    // matters is that none leaves the emulator and gets an answer.
    const foreignResponses = [];
    const failures = [];
    page.on('response', (response) => {
      if (!response.url().startsWith(ORIGIN)) foreignResponses.push(response.url());
    });
    page.on('requestfailed', (request) => {
      failures.push({ url: request.url(), error: request.failure()?.errorText });
    });
    const consoleErrors = [];
    page.on('pageerror', (error) => consoleErrors.push(String(error)));

    // ----- the list -----
    await page.goto(INBOX_URL);
    await rows(page).nth(1).waitFor();
    check(await rows(page).count() === 2, 'the inbox lists the two messages sent before it opened');
    const subjects = await rowSubjects(page);
    check(subjects[0] === expectations.textSubject && subjects[1] === expectations.htmlSubject,
      'newest first', subjects);
    const htmlRow = rows(page).nth(1);
    check((await htmlRow.locator('td.from').textContent()).includes(expectations.from),
      'the row shows the sender');
    check((await htmlRow.locator('td.to').textContent()).includes(expectations.to),
      'the row shows the recipient');
    check(/\d+(\.\d)? (B|KB|MB)/.test(await htmlRow.locator('td.size').textContent()),
      'the row shows the size');
    check(await htmlRow.locator('td.attachments').textContent() === expectations.attachmentName,
      'the row names the file attachment (not the inline image)');
    check((await htmlRow.locator('td.time').getAttribute('title')).endsWith('Z'),
      'the row shows the time (ISO time as its title)');

    // ----- live update: a message sent while the page is open appears without a reload -----
    await page.evaluate(() => { window.__sameDocument = 'yes'; });
    console.log('READY_FOR_LIVE');
    await waitForLine('SENT');
    await page.locator('#messages tbody tr td.subject', { hasText: expectations.liveSubject }).waitFor();
    check((await rowSubjects(page))[0] === expectations.liveSubject,
      'the new message appears at the top without a reload');
    check(await page.evaluate(() => window.__sameDocument) === 'yes', 'the page was not reloaded');

    // ----- search -----
    const word = expectations.htmlSubject.split(' ').find((w) => w.length > 6);
    await page.fill('#search', word);
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 1);
    check((await rowSubjects(page))[0] === expectations.htmlSubject, `searching "${word}" finds the message`);
    await page.fill('#search', expectations.attachmentName);
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 1);
    check((await rowSubjects(page))[0] === expectations.htmlSubject, 'search matches attachment names');
    await page.fill('#search', 'no-such-message-anywhere');
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 0);
    check(true, 'a search without matches shows no rows');
    await page.fill('#search', '');
    await page.waitForFunction(() => document.querySelectorAll('#messages tbody tr').length === 3);

    // Screenshot of the inbox (for the README).
    if (process.env.SCREENSHOT) {
      await page.locator('#search').blur();
      await page.screenshot({ path: process.env.SCREENSHOT });
      result.screenshot = process.env.SCREENSHOT;
    }

    // ----- open the HTML message -----
    const bodyResponse = page.waitForResponse((r) => /\/body$/.test(new URL(r.url()).pathname));
    const imageResponse = page.waitForResponse((r) => new URL(r.url()).pathname.includes('/cid/'));
    await page.locator('#messages tbody tr', { hasText: expectations.htmlSubject }).click();
    await page.locator('#m-subject', { hasText: expectations.htmlSubject }).waitFor();
    const headers = await page.locator('#m-headers').textContent();
    check(headers.includes(expectations.from) && headers.includes(expectations.to),
      'the message view shows From and To');
    const xheaders = await page.locator('#m-xheaders').textContent();
    check(xheaders.includes(expectations.xName) && xheaders.includes(expectations.xValue),
      'the message view shows the x- header');

    const body = await bodyResponse;
    const policy = body.headers()['content-security-policy'] || '';
    check(policy.includes('sandbox') && policy.includes("default-src 'none'") && !policy.includes('script-src'),
      'the body document is served sandboxed, with no script source allowed', policy);
    check(await page.locator('#m-body').getAttribute('sandbox') === '',
      'the body iframe has the sandbox attribute without allow-scripts');
    const image = await imageResponse;
    check(image.status() === 200 && image.headers()['content-type'] === 'image/png',
      'the inline image is fetched from the message (cid: resolved)', image.url());

    const frame = page.frames().find((f) => /\/body$/.test(f.url()));
    check(frame !== undefined, 'the body frame is loaded');
    await frame.waitForLoadState('load');
    const img = frame.locator(`img[alt="inline logo"]`);
    const width = await img.evaluate((node) => node.naturalWidth);
    check(width > 0, 'the inline image rendered', width);
    check(await frame.locator('body').getAttribute('data-script-ran') === null,
      'the <script> in the HTML body did not run');
    check(await frame.locator('#onerror-marker').getAttribute('data-ran') === null,
      'the onerror handler in the HTML body did not run');
    const list = await (await page.request.get(`${ORIGIN}/_emulator/inbox/messages`)).json();
    check(list.total === 3, 'the body\'s script did not delete the messages', list.total);
    check(!(await frame.content()).includes('cid:' + expectations.inlineCid),
      'no cid: reference is left in the rendered body');

    if (process.env.MESSAGE_SCREENSHOT) {
      await page.screenshot({ path: process.env.MESSAGE_SCREENSHOT, fullPage: true });
    }

    // ----- download the attachment -----
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#m-attachments a', { hasText: expectations.attachmentName }).click(),
    ]);
    check(download.suggestedFilename() === expectations.attachmentName,
      'the download keeps the attachment name', download.suggestedFilename());
    const bytes = await readFile(await download.path());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    check(sha256 === expectations.attachmentSha256, 'the downloaded attachment is byte-identical', sha256);

    // ----- text body and Graph request -----
    await page.click('#tab-text-button');
    check((await page.locator('#m-text').textContent()).includes(expectations.textSnippet),
      'the text tab shows the body as text');
    await page.click('#tab-request-button');
    const request = JSON.parse(await page.locator('#m-request').textContent());
    check(request.message.subject === expectations.htmlSubject,
      'the Graph request tab shows the JSON the library sent');

    // ----- clear -----
    await page.click('#back');
    await rows(page).nth(2).waitFor();
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#clear');
    await page.locator('#empty').waitFor({ state: 'visible' });
    check(await rows(page).count() === 0, 'clearing empties the inbox');

    const remote = failures.find((f) => f.url.startsWith('https://example.invalid/'));
    check(foreignResponses.length === 0 && remote !== undefined && /CSP/i.test(remote.error),
      'no request left the emulator (remote image blocked)', { foreignResponses, failures });
    check(consoleErrors.length === 0, 'the inbox page raised no errors', consoleErrors);
    result.checks = 'passed';
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.log(`FAIL - ${error.message}`);
    console.error(error.stack);
    process.exit(1);
  },
);
