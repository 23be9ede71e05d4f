// Zone names are stored and scheduled as the tz database spells them (src/plan/records.ts
// zoneSpelling): Temporal looks a schedule's zone up case-sensitively, so a respelling that is not
// the tz database's name makes a zone the user wrote correctly unusable for schedules.
import { expect, it } from 'vitest';
import { zoneSpelling } from '../../src/plan/records.js';

// tz database names (tzdata 2025b zones and links) ICU does not list and whose case no
// Title_Case rule gives, beside regular ones for contrast.
const names = [
  'EST5EDT', 'CST6CDT', 'MST7MDT', 'PST8PDT', 'GMT0', 'GMT+0', 'GMT-0', 'Etc/GMT0', 'Etc/GMT+5', 'Etc/GMT-14', 'Etc/GMT+12',
  'NZ-CHAT', 'W-SU', 'GB-Eire', 'Brazil/DeNoronha', 'Chile/EasterIsland', 'Mexico/BajaNorte', 'America/Knox_IN',
  'America/Argentina/ComodRivadavia', 'Pacific/Yap',
  'Asia/Kolkata', 'US/Pacific', 'Europe/Berlin', 'America/Port-au-Prince', 'UTC',
];

it('a zone written as the tz database spells it is kept, and its all-lower or all-upper form takes that spelling', () => {
  for (const name of names) {
    expect(zoneSpelling(name), name).toBe(name);
    expect(zoneSpelling(name.toLowerCase()), name.toLowerCase()).toBe(name);
    expect(zoneSpelling(name.toUpperCase()), name.toUpperCase()).toBe(name);
  }
});
