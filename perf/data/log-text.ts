/**
 * Seeded, realistic vehicle log text for the perf suites: timestamps that advance, levels with a
 * skewed distribution, dotted component names of an autonomous-driving stack, and messages full
 * of numbers, ids and units. Three line styles appear in the field (ROS 2 console, syslog,
 * terminal capture), one per generator. Compressibility matters more than realism of content:
 * gzip-6 gives about 5–6× on this text, close to real ROS logs (the toolchain baseline's
 * log-like data compressed 5.91×), so compression CPU and bytes on the wire are representative.
 *
 * Not cryptographic and not meant to be parsed back; the same seed gives the same bytes on
 * every machine (mulberry32 via test/support/seeded-random.ts).
 */
import { seededRandom, type SeededRandom } from '../../test/support/seeded-random.js';

export type LogStyle = 'ros2' | 'syslog' | 'terminal';

const COMPONENTS = [
  'planning.scenario_planning.lane_driving.behavior_planning.behavior_path_planner',
  'planning.scenario_planning.motion_planning.obstacle_cruise_planner',
  'localization.pose_estimator.ndt_scan_matcher',
  'localization.pose_twist_fusion_filter.ekf_localizer',
  'perception.object_recognition.detection.centerpoint.lidar_centerpoint',
  'perception.object_recognition.tracking.multi_object_tracker',
  'perception.traffic_light_recognition.traffic_light_classifier',
  'control.trajectory_follower.controller_node_exe',
  'control.vehicle_cmd_gate',
  'sensing.lidar.top.velodyne_driver_node',
  'sensing.lidar.left.crop_box_filter_self',
  'sensing.imu.tamagawa_imu_driver',
  'sensing.gnss.ublox_node',
  'system.system_monitor.cpu_monitor',
  'system.system_monitor.net_monitor',
  'system.emergency_handler',
  'vehicle.raw_vehicle_cmd_converter',
  'map.lanelet2_map_loader',
  'api.autoware_state_panel',
  'tvm.can_bridge',
] as const;

const LEVELS: readonly (readonly [string, number])[] = [
  ['DEBUG', 0.12],
  ['INFO', 0.72],
  ['WARN', 0.11],
  ['ERROR', 0.045],
  ['FATAL', 0.005],
];

const PROCESSES = ['kernel', 'systemd', 'NetworkManager', 'chronyd', 'can-bridge', 'ros2-launch', 'docker', 'nvargus-daemon'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const HEX = '0123456789abcdef';

const fixed = (x: number, d: number): string => x.toFixed(d);

function hexId(r: SeededRandom, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[r.int(16)];
  return s;
}

/** Message bodies: each reads a few numbers from the generator, like real log statements do. */
const MESSAGES: readonly ((r: SeededRandom) => string)[] = [
  (r) => `NDT converged: iterations=${r.int(30) + 1} score=${fixed(2 + r.next() * 3, 4)} transform_probability=${fixed(r.next() * 6, 4)} exe_time=${fixed(5 + r.next() * 40, 3)}ms`,
  (r) => `ego pose x=${fixed(81000 + r.next() * 900, 3)} y=${fixed(49000 + r.next() * 900, 3)} z=${fixed(40 + r.next() * 5, 3)} yaw=${fixed(r.next() * 6.283 - 3.1415, 5)}`,
  (r) => `lane change candidate ${r.int(8)} rejected: ttc=${fixed(r.next() * 6, 2)}s dist=${fixed(r.next() * 80, 1)}m reason=${r.pick(['unsafe_rear', 'no_gap', 'stop_line_ahead', 'not_approved'])}`,
  (r) => `detected ${r.int(60)} objects (${r.int(30)} car, ${r.int(12)} pedestrian, ${r.int(6)} bicycle) in ${fixed(20 + r.next() * 60, 2)} ms`,
  (r) => `track id=${hexId(r, 8)} class=${r.pick(['CAR', 'TRUCK', 'PEDESTRIAN', 'BICYCLE', 'UNKNOWN'])} vx=${fixed(r.next() * 20 - 5, 2)} vy=${fixed(r.next() * 2 - 1, 2)} existence=${fixed(r.next(), 3)}`,
  (r) => `cmd: steer=${fixed(r.next() * 0.8 - 0.4, 4)} rad accel=${fixed(r.next() * 3 - 1.5, 3)} m/s^2 gear=${r.pick(['DRIVE', 'DRIVE', 'DRIVE', 'NEUTRAL', 'REVERSE'])} lateral_err=${fixed(r.next() * 0.3, 4)}`,
  (r) => `topic /sensing/lidar/top/pointcloud_raw rate ${fixed(9.5 + r.next(), 2)} Hz (expected 10.00), delay ${fixed(r.next() * 50, 1)} ms`,
  (r) => `CPU usage ${fixed(r.next() * 100, 1)}% load ${fixed(r.next() * 8, 2)} temp ${fixed(45 + r.next() * 40, 1)}C freq ${1200 + r.int(1800)}MHz`,
  (r) => `CAN frame 0x${hexId(r, 3)} dlc=8 data=${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)} ${hexId(r, 2)}`,
  (r) => `traffic light ${1000 + r.int(9000)} state=${r.pick(['RED', 'GREEN', 'AMBER', 'UNKNOWN'])} confidence=${fixed(r.next(), 3)}`,
  (r) => `planning cycle took ${fixed(r.next() * 120, 3)} ms (budget 100.000 ms), ${r.int(500)} path points, velocity limit ${fixed(r.next() * 16.7, 2)} m/s`,
  (r) => `GNSS fix=${r.pick(['RTK_FIXED', 'RTK_FLOAT', 'DGPS', 'SINGLE'])} sats=${4 + r.int(20)} hdop=${fixed(0.5 + r.next() * 2, 2)} lat=${fixed(35.6 + r.next() * 0.01, 8)} lon=${fixed(139.7 + r.next() * 0.01, 8)}`,
  (r) => `network ${r.pick(['eth0', 'wlan0', 'wwan0'])}: rx ${r.int(90000)} kB/s tx ${r.int(20000)} kB/s errors ${r.int(3)} dropped ${r.int(5)}`,
  (r) => `emergency state transitioned to ${r.pick(['NORMAL', 'OVERRIDE_REQUESTING', 'MRM_OPERATING', 'MRM_SUCCEEDED'])} after ${r.int(2000)} ms`,
  (r) => `failed to transform from base_link to ${r.pick(['map', 'velodyne_top', 'camera0/camera_link'])}: Lookup would require extrapolation ${fixed(r.next() * 0.2, 6)}s into the future`,
  (r) => `request ${hexId(r, 8)}-${hexId(r, 4)}-${hexId(r, 4)} completed status=${r.pick([200, 200, 200, 204, 503])} in ${r.int(900)}ms`,
];

const MS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const SHORT_COMPONENTS = COMPONENTS.map((c) => c.split('.').pop() ?? c);
const LOWER: Record<string, string> = Object.fromEntries(LEVELS.map(([l]) => [l, l.toLowerCase()]));
const PADDED: Record<string, string> = Object.fromEntries(LEVELS.map(([l]) => [l, l.padEnd(5)]));

/** Cumulative weights for level selection. */
const LEVEL_CDF = (() => {
  let acc = 0;
  return LEVELS.map(([name, w]) => {
    acc += w;
    return [name, acc] as const;
  });
})();

function pickLevel(r: SeededRandom): string {
  const x = r.next();
  for (const [name, upto] of LEVEL_CDF) if (x < upto) return name;
  return 'INFO';
}

export interface LogTextOptions {
  readonly seed: number;
  readonly style: LogStyle;
  /** Epoch milliseconds of the first line. */
  readonly startMs: number;
  readonly host?: string;
}

/** A stream of log lines; `next(bytes)` returns whole lines totalling at least `bytes` bytes. */
export class LogText {
  private readonly r: SeededRandom;
  private t: number;
  private stampSecond = -1;
  private stamp = '';

  constructor(private readonly o: LogTextOptions) {
    this.r = seededRandom(o.seed);
    this.t = o.startMs;
  }

  line(): string {
    const r = this.r;
    this.t += r.int(40) + (r.next() < 0.01 ? r.int(5000) : 0);
    const msg = r.pick(MESSAGES)(r);
    const level = pickLevel(r);
    const ms = this.t % 1000;
    const stamp = this.secondStamp();
    switch (this.o.style) {
      case 'ros2':
        return `[${level}] [${stamp}.${MS3[ms]}${String(r.int(1_000_000)).padStart(6, '0')}] [${r.pick(COMPONENTS)}]: ${msg}\n`;
      case 'syslog':
        return `${stamp} ${this.o.host ?? 'vehicle-01'} ${r.pick(PROCESSES)}[${100 + r.int(30000)}]: ${LOWER[level]}: ${msg}\n`;
      case 'terminal':
        return `${stamp}.${MS3[ms]} | ${PADDED[level]} | ${r.pick(SHORT_COMPONENTS)} | ${msg}\n`;
    }
  }

  /** The part of the timestamp that changes once a second, formatted once per second. */
  private secondStamp(): string {
    const sec = Math.floor(this.t / 1000);
    if (sec === this.stampSecond) return this.stamp;
    this.stampSecond = sec;
    const d = new Date(sec * 1000);
    if (this.o.style === 'ros2') this.stamp = String(sec);
    else if (this.o.style === 'syslog') this.stamp = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    else this.stamp = d.toISOString().replace('T', ' ').slice(0, 19);
    return this.stamp;
  }

  /** Whole lines of ASCII text, at least `bytes` long (at most one line more). */
  next(bytes: number): Buffer {
    let buf = Buffer.allocUnsafe(bytes + 1024);
    let n = 0;
    while (n < bytes) {
      const l = this.line();
      if (n + l.length > buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2 + l.length);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      n += buf.write(l, n, 'latin1');
    }
    return buf.subarray(0, n);
  }

  /** Exactly `bytes` bytes: whole lines, the last one cut short (like a file caught mid-write). */
  exactly(bytes: number): Buffer {
    return this.next(bytes).subarray(0, bytes);
  }
}
