/**
 * Turns bench/results/families.json into the SVG figures bench/README.md shows:
 *   bench/plots/time.svg         median time against size, per family: greedy, optimal, libvirt;
 *   bench/plots/controllers.svg  controllers added against size, per family: greedy, optimal.
 *
 *   npm run bench:plot      (= npx tsx bench/plot.ts; npm run bench runs it after the suites)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart, type Panel, type Series } from './svgChart.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Outcome {
  ok: boolean;
  addedControllers?: number;
}
interface Cell {
  family: string;
  devices: number;
  greedy: { outcomes: Outcome[]; medianMs?: number };
  optimal: { outcomes: Outcome[]; medianMs: number };
  optimalAsLibvirt?: (Outcome | null)[];
  libvirt?: { outcomes: Outcome[]; medianMs: number };
}

const COLORS = { greedy: '#d95f02', optimal: '#1b9e77', libvirt: '#7570b3' } as const;

const byFamily = (cells: Cell[]) => [...new Set(cells.map((c) => c.family))].map((f) => ({ family: f, cells: cells.filter((c) => c.family === f) }));

/** Times are medians over the seeds; a strategy that fails on every seed is a cross, not a point. */
function timePanels(cells: Cell[]): Panel[] {
  return byFamily(cells).map(({ family, cells: cs }) => {
    const series: Series[] = [
      {
        name: 'greedy (pciplan)',
        color: COLORS.greedy,
        points: cs.filter((c) => c.greedy.medianMs !== undefined).map((c) => ({ x: c.devices, y: c.greedy.medianMs! })),
        failures: cs.filter((c) => c.greedy.medianMs === undefined).map((c) => c.devices),
      },
      {
        name: 'optimal (pciplan + Z3)',
        color: COLORS.optimal,
        // An infeasibility proof is a result too: its time is drawn, hollow.
        points: cs.map((c) => ({ x: c.devices, y: c.optimal.medianMs })),
        hollow: cs.filter((c) => !c.optimal.outcomes.some((o) => o.ok)).map((c) => c.devices),
      },
    ];
    if (cs.some((c) => c.libvirt)) {
      series.push({
        name: 'real libvirt (define, one virsh)',
        color: COLORS.libvirt,
        dashed: true,
        points: cs.filter((c) => c.libvirt?.outcomes.some((o) => o.ok)).map((c) => ({ x: c.devices, y: c.libvirt!.medianMs })),
        failures: cs.filter((c) => c.libvirt && !c.libvirt.outcomes.some((o) => o.ok)).map((c) => c.devices),
      });
    }
    return { title: family, series };
  });
}

function controllerPanels(cells: Cell[]): Panel[] {
  const pts = (cs: Cell[], k: 'greedy' | 'optimal') => cs.filter((c) => c[k].outcomes[0]!.ok).map((c) => ({ x: c.devices, y: c[k].outcomes[0]!.addedControllers! }));
  return byFamily(cells).map(({ family, cells: cs }) => ({
    title: family,
    series: [
      { name: 'greedy (= libvirt)', color: COLORS.greedy, points: pts(cs, 'greedy'), failures: cs.filter((c) => !c.greedy.outcomes[0]!.ok).map((c) => c.devices) },
      { name: 'optimal (hints and policy met)', color: COLORS.optimal, points: pts(cs, 'optimal'), failures: cs.filter((c) => !c.optimal.outcomes[0]!.ok).map((c) => c.devices) },
      {
        name: "optimal at libvirt's requirements",
        color: COLORS.optimal,
        dashed: true,
        points: cs.filter((c) => c.optimalAsLibvirt?.[0]?.ok).map((c) => ({ x: c.devices, y: c.optimalAsLibvirt![0]!.addedControllers! })),
      },
    ],
  }));
}

const results = JSON.parse(readFileSync(join(HERE, 'results', 'families.json'), 'utf8')) as { date: string; cells: Cell[] };
const when = `one run, ${results.date.slice(0, 10)}, bench/results/families.json`;
mkdirSync(join(HERE, 'plots'), { recursive: true });
writeFileSync(
  join(HERE, 'plots', 'time.svg'),
  renderChart(timePanels(results.cells), { title: 'Median time to place a q35 domain (3 seeds)', subtitle: when, xLabel: 'devices', yLabel: 'ms (log)', yLog: true, columns: 4 }),
);
writeFileSync(
  join(HERE, 'plots', 'controllers.svg'),
  renderChart(controllerPanels(results.cells), { title: 'Controllers added', subtitle: `${when}; first seed of each size`, xLabel: 'devices', yLabel: 'controllers', yLog: false, columns: 4 }),
);
process.stderr.write('bench: wrote bench/plots/time.svg and bench/plots/controllers.svg\n');
