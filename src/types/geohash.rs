//! The geohash arithmetic of Redis's GEO commands: a point (longitude,
//! latitude) becomes a 52-bit integer, its latitude and longitude cell
//! numbers (26 bits each) interleaved bit by bit, which is the score of the
//! member in the sorted set that holds a GEO index. Searches cover a shape
//! (a circle or an axis-aligned box around a centre) with nine cells of one
//! size, the centre's cell and its eight neighbours, each of which is a run
//! of consecutive scores; the candidates found there are then kept when
//! they lie within the shape.
//!
//! Every step is computed with the same floating-point operations, in the
//! same order, as Redis 7.0 does, so that cells, distances and decoded
//! coordinates agree with Redis to the last bit: the Mercator latitude
//! limits (±85.05112878), the cell size estimated from the radius (with
//! its corrections near the poles and for areas that touch a cell's edge),
//! the neighbours that wrap around the grid, the Haversine distance with
//! Redis's earth radius, and the decoding of any score (also one that is
//! not a geohash) through the x86-64 conversion of a double to an unsigned
//! integer.
//!
//! `order` holds the two sorts whose results Redis's replies show.
//! Pure numbers: nothing here knows the server or the protocol.

pub mod order;

use super::zset::{ScoreRange, ZSet};

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per coordinate of a stored point (2 * 26 = 52 bits).
pub const STEP_MAX: u8 = 26;
/// The earth's radius Redis measures with, in meters.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Half the earth's circumference in Web Mercator meters, which sizes the
/// cells of a search.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, the constant computed as Redis computes it.
const DEG_TO_RAD: f64 = std::f64::consts::PI / 180.0;

/// The letters of a standard geohash, five bits each.
const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// A cell: `step` bits of each coordinate, interleaved (latitude in the
/// even bits, longitude in the odd ones). Bits 0 and step 0 is "no cell".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

impl Cell {
    /// True for the "no cell" value (an excluded neighbour).
    pub fn is_none(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's bits as the 52-bit score of its first point.
    pub fn aligned(&self) -> u64 {
        let shift = 52u32.saturating_sub(u32::from(self.step) * 2);
        self.bits.checked_shl(shift).unwrap_or(0)
    }

    /// The scores of the points inside the cell: from `.0` (included) to
    /// `.1` (excluded).
    pub fn score_range(&self) -> (u64, u64) {
        let next = Cell {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.aligned(), next.aligned())
    }
}

/// An interval of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges a geohash divides: Redis's own (Mercator
/// latitudes) for scores, the standard ones for GEOHASH's strings.
#[derive(Debug, Clone, Copy)]
struct Grid {
    longitude: Span,
    latitude: Span,
}

const REDIS_GRID: Grid = Grid {
    longitude: Span {
        min: LONG_MIN,
        max: LONG_MAX,
    },
    latitude: Span {
        min: LAT_MIN,
        max: LAT_MAX,
    },
};

const STANDARD_GRID: Grid = Grid {
    longitude: Span {
        min: -180.0,
        max: 180.0,
    },
    latitude: Span {
        min: -90.0,
        max: 90.0,
    },
};

/// The rectangle a cell covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub longitude: Span,
    pub latitude: Span,
}

/// True when a longitude and latitude can be indexed (GEOADD, FROMLONLAT);
/// NaN cannot (it never gets this far: float arguments refuse it).
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// Spreads the 32 bits of `v` to the even bit positions of a `u64`.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// The even bits of `v`, packed into the low 32 bits.
fn squeeze(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// The cell of `step` bits per coordinate holding a point, if the point
/// is within Redis's limits and the grid.
fn encode_in(grid: &Grid, lon: f64, lat: f64, step: u8) -> Option<Cell> {
    if step == 0 || step > 32 || !valid_lon_lat(lon, lat) {
        return None;
    }
    let (lons, lats) = (grid.longitude, grid.latitude);
    if lat < lats.min || lat > lats.max || lon < lons.min || lon > lons.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lats.min) / (lats.max - lats.min) * scale;
    let lon_offset = (lon - lons.min) / (lons.max - lons.min) * scale;
    Some(Cell {
        bits: spread(lat_offset as u32) | spread(lon_offset as u32) << 1,
        step,
    })
}

/// The cell of `step` bits per coordinate holding a point (Redis's grid).
pub fn encode(lon: f64, lat: f64, step: u8) -> Option<Cell> {
    encode_in(&REDIS_GRID, lon, lat, step)
}

/// The score GEOADD gives a point, if it can be indexed.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(lon, lat, STEP_MAX).map(|cell| cell.aligned())
}

/// The rectangle a cell of Redis's grid covers (`None` for "no cell").
pub fn decode(cell: Cell) -> Option<Area> {
    if cell.is_none() {
        return None;
    }
    let grid = REDIS_GRID;
    let lat_cell = squeeze(cell.bits);
    let lon_cell = squeeze(cell.bits >> 1);
    let cells = 1u64.checked_shl(u32::from(cell.step)).unwrap_or(0) as f64;
    let at = |span: Span, n: u32| span.min + (f64::from(n) / cells) * (span.max - span.min);
    Some(Area {
        latitude: Span {
            min: at(grid.latitude, lat_cell),
            max: at(grid.latitude, lat_cell.wrapping_add(1)),
        },
        longitude: Span {
            min: at(grid.longitude, lon_cell),
            max: at(grid.longitude, lon_cell.wrapping_add(1)),
        },
    })
}

/// The centre of a cell, kept within Redis's limits.
fn centre(area: &Area) -> (f64, f64) {
    let lon = (area.longitude.min + area.longitude.max) / 2.0;
    let lat = (area.latitude.min + area.latitude.max) / 2.0;
    (lon.clamp(LONG_MIN, LONG_MAX), lat.clamp(LAT_MIN, LAT_MAX))
}

/// C's conversion of a double to `uint64_t` as gcc compiles it for
/// x86-64: values from 2^63 on are shifted down by 2^63 first, and what
/// the processor cannot convert becomes 2^63 (so negative values wrap,
/// and infinities, NaN and values from 2^64 on give 0 or 2^63).
fn c_double_to_u64(v: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let truncate = |x: f64| -> u64 {
        if !(-TWO_63..TWO_63).contains(&x) {
            1 << 63
        } else {
            (x as i64) as u64
        }
    };
    if v >= TWO_63 {
        truncate(v - TWO_63) ^ (1 << 63)
    } else {
        truncate(v)
    }
}

/// The longitude and latitude a score stands for (any score: one that is
/// not a geohash decodes as Redis decodes it).
pub fn lon_lat_of(score: f64) -> (f64, f64) {
    let cell = Cell {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode(cell).map_or((0.0, 0.0), |area| centre(&area))
}

/// The 11-letter standard geohash of a point, as GEOHASH gives it: the
/// point re-encoded on the standard grid with 52 bits, the eleventh letter
/// always `0`.
pub fn standard_geohash(lon: f64, lat: f64) -> [u8; 11] {
    let bits = encode_in(&STANDARD_GRID, lon, lat, STEP_MAX).map_or(0, |c| c.bits);
    let mut out = [b'0'; 11];
    for (i, letter) in out.iter_mut().take(10).enumerate() {
        let index = (bits >> (47 - 5 * i)) & 0x1f;
        *letter = BASE32.get(index as usize).copied().unwrap_or(b'0');
    }
    out
}

// ---------------------------------------------------------------------------
// Neighbours
// ---------------------------------------------------------------------------

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// Moves one coordinate of a cell by one cell: the coordinate whose bits
/// are `mine` (the other's are kept), up or down, wrapping around.
fn step_coordinate(cell: Cell, mine: u64, up: bool) -> Cell {
    let shift = 64u32.saturating_sub(u32::from(cell.step) * 2);
    let other = !mine;
    // The other coordinate's bits within the cell: set to let carries
    // and borrows run through them.
    let filler = other.checked_shr(shift).unwrap_or(0);
    let moved_bits = cell.bits & mine;
    let moved = if up {
        moved_bits.wrapping_add(filler.wrapping_add(1))
    } else {
        (moved_bits | filler).wrapping_sub(filler.wrapping_add(1))
    };
    let kept = cell.bits & other;
    Cell {
        bits: (moved & mine.checked_shr(shift).unwrap_or(0)) | kept,
        step: cell.step,
    }
}

/// Moves a cell by `dx` cells east (longitude) and `dy` north (latitude),
/// each -1, 0 or 1.
fn moved(cell: Cell, dx: i8, dy: i8) -> Cell {
    let mut out = cell;
    if dx != 0 {
        out = step_coordinate(out, ODD_BITS, dx > 0);
    }
    if dy != 0 {
        out = step_coordinate(out, EVEN_BITS, dy > 0);
    }
    out
}

/// The nine cells of a search, in the order Redis visits them: the
/// centre, north, south, east, west, north-east, north-west, south-east,
/// south-west. Excluded neighbours are "no cell".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCells(pub [Cell; 9]);

const NORTH: usize = 1;
const SOUTH: usize = 2;
const EAST: usize = 3;
const WEST: usize = 4;
const NORTH_EAST: usize = 5;
const NORTH_WEST: usize = 6;
const SOUTH_EAST: usize = 7;
const SOUTH_WEST: usize = 8;

/// The offsets of the nine cells from the centre, in visiting order.
const OFFSETS: [(i8, i8); 9] = [
    (0, 0),
    (0, 1),
    (0, -1),
    (1, 0),
    (-1, 0),
    (1, 1),
    (-1, 1),
    (1, -1),
    (-1, -1),
];

fn neighbourhood(centre: Cell) -> [Cell; 9] {
    OFFSETS.map(|(dx, dy)| moved(centre, dx, dy))
}

// ---------------------------------------------------------------------------
// Shapes, distances and search cells
// ---------------------------------------------------------------------------

/// What a search covers, in the request's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extent {
    /// BYRADIUS (and GEORADIUS*): a circle.
    Radius(f64),
    /// BYBOX: an axis-aligned box.
    Box { width: f64, height: f64 },
}

/// A search shape: its centre, its extent and the unit's size in meters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    /// Meters per unit of the extent (and of reported distances).
    pub unit: f64,
}

fn deg_rad(degrees: f64) -> f64 {
    degrees * DEG_TO_RAD
}

fn rad_deg(radians: f64) -> f64 {
    radians / DEG_TO_RAD
}

/// The distance in meters along a meridian between two latitudes.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The Haversine distance in meters between two points (Redis's formula,
/// with its shortcut when the longitudes agree).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

impl Shape {
    /// Half the height and half the width in meters (the radius twice for
    /// a circle).
    fn half_extent_m(&self) -> (f64, f64) {
        match self.extent {
            Extent::Radius(r) => (self.unit * r, self.unit * r),
            Extent::Box { width, height } => {
                (self.unit * (height / 2.0), self.unit * (width / 2.0))
            }
        }
    }

    /// The bounding box `[min lon, min lat, max lon, max lat]`: the
    /// longitudes measured at the latitude edge nearer the pole.
    fn bounds(&self) -> [f64; 4] {
        let (height, width) = self.half_extent_m();
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom =
            rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The distance in meters from the centre to the farthest point of the
    /// shape (a box's corner).
    fn reach_m(&self) -> f64 {
        let reach = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.unit
    }

    /// The distance in meters from the centre to a point, if the point is
    /// within the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.unit).then_some(d)
            }
            Extent::Box { width, height } => {
                if lat_distance(lat, self.lat) > height * self.unit / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width * self.unit / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The nine cells to search (Redis's `geohashCalculateAreasByShape`).
    pub fn search_cells(&self) -> SearchCells {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let mut step = estimate_step(self.reach_m(), self.lat);
        let mut cells = self.cells_at(step);
        let area_of = |c: Cell| decode(c).unwrap_or(NO_AREA);
        let too_small = area_of(cells[NORTH]).latitude.max < max_lat
            || area_of(cells[SOUTH]).latitude.min > min_lat
            || area_of(cells[EAST]).longitude.max < max_lon
            || area_of(cells[WEST]).longitude.min > min_lon;
        if step > 1 && too_small {
            step -= 1;
            cells = self.cells_at(step);
        }
        if step >= 2 {
            let area = area_of(cells[0]);
            let mut drop =
                |sides: [usize; 3]| sides.iter().for_each(|&i| cells[i] = Cell::default());
            if area.latitude.min < min_lat {
                drop([SOUTH, SOUTH_WEST, SOUTH_EAST]);
            }
            if area.latitude.max > max_lat {
                drop([NORTH, NORTH_EAST, NORTH_WEST]);
            }
            if area.longitude.min < min_lon {
                drop([WEST, SOUTH_WEST, NORTH_WEST]);
            }
            if area.longitude.max > max_lon {
                drop([EAST, SOUTH_EAST, NORTH_EAST]);
            }
        }
        SearchCells(cells)
    }

    /// The centre's cell of `step` bits per coordinate and its neighbours.
    fn cells_at(&self, step: u8) -> [Cell; 9] {
        let centre = encode(self.lon, self.lat, step).unwrap_or(Cell { bits: 0, step });
        neighbourhood(centre)
    }
}

/// The area Redis leaves zeroed when a cell cannot be decoded.
const NO_AREA: Area = Area {
    longitude: Span { min: 0.0, max: 0.0 },
    latitude: Span { min: 0.0, max: 0.0 },
};

/// The bits per coordinate of the cells that cover a search reaching
/// `reach_m` meters from a centre at latitude `lat`: cells about twice the
/// reach, larger near the poles.
pub fn estimate_step(reach_m: f64, lat: f64) -> u8 {
    if reach_m == 0.0 {
        return STEP_MAX;
    }
    let mut range = reach_m;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

// ---------------------------------------------------------------------------
// Searching a sorted set
// ---------------------------------------------------------------------------

/// A member found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub member: Vec<u8>,
    pub lon: f64,
    pub lat: f64,
    /// Meters from the shape's centre.
    pub dist: f64,
    pub score: f64,
}

/// The members of `z` within `shape`, in the order Redis finds them: cell
/// by cell (a cell equal to the one searched just before is skipped), by
/// score within a cell. With `limit` (COUNT ANY) the search stops once
/// that many are found.
pub fn search(z: &ZSet, shape: &Shape, limit: Option<usize>) -> Vec<Found> {
    let SearchCells(cells) = shape.search_cells();
    let mut found = Vec::new();
    let full = |found: &Vec<Found>| limit.is_some_and(|l| !found.is_empty() && found.len() >= l);
    let mut last: usize = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_none() {
            continue;
        }
        // Redis compares with the last searched cell only once that is a
        // neighbour (index 0, the centre, reads as "none yet").
        if last != 0 && cells.get(last) == Some(cell) {
            continue;
        }
        if full(&found) {
            break;
        }
        search_cell(z, shape, *cell, limit, &mut found);
        last = i;
    }
    found
}

/// Appends the members of one cell that lie within the shape.
fn search_cell(z: &ZSet, shape: &Shape, cell: Cell, limit: Option<usize>, found: &mut Vec<Found>) {
    let (min, max) = cell.score_range();
    let range = ScoreRange {
        min: min as f64,
        max: max as f64,
        min_exclusive: false,
        max_exclusive: true,
    };
    let (first, count) = z.score_span(&range);
    for (member, score) in z.iter_from(first, false).take(count) {
        let (lon, lat) = lon_lat_of(score);
        if let Some(dist) = shape.contains(lon, lat) {
            found.push(Found {
                member: member.to_vec(),
                lon,
                lat,
                dist,
                score,
            });
        }
        if limit.is_some_and(|l| found.len() >= l) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0xFFFF_FFFF, 0x1234_5678, 0x8000_0001] {
            assert_eq!(squeeze(spread(v)), v);
            assert_eq!(squeeze(spread(v) << 1 >> 1), v);
        }
        assert_eq!(spread(0b11), 0b0101);
    }

    #[test]
    fn scores_are_redis_scores() {
        // Checked against redis-server 7.0.15 (GEOADD then ZSCORE).
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(180.0, LAT_MAX), Some(13510798882111488));
        assert_eq!(score_of(-180.0, LAT_MIN), Some(0));
        assert_eq!(score_of(0.0, 0.0), Some(3377699720527872));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn any_score_decodes_as_redis_decodes_it() {
        // GEOPOS of members whose scores are not geohashes, as Redis 7.0.15
        // answers on x86-64.
        let cases: [(f64, (f64, f64)); 5] = [
            (-1.0, (180.0, LAT_MAX)),
            (1e30, (-179.99999731779099, -85.05112751263943)),
            (-1e30, (180.0, -85.05112751263943)),
            (f64::INFINITY, (-179.99999731779099, -85.05112751263943)),
            (9007199254740992.0, (180.0, -85.05112751263943)),
        ];
        for (score, expected) in cases {
            assert_eq!(lon_lat_of(score), expected, "score {score}");
        }
    }

    #[test]
    fn standard_geohash_strings() {
        let (lon, lat) = lon_lat_of(3479099956230698.0);
        assert_eq!(&standard_geohash(lon, lat), b"sqc8b49rny0");
        let (lon, lat) = lon_lat_of(-1.0);
        assert_eq!(&standard_geohash(lon, lat), b"bp05b5048p0");
    }

    #[test]
    fn neighbours_wrap_around_the_grid() {
        let corner = Cell { bits: 0, step: 2 };
        let n = neighbourhood(corner);
        // West of the first column is the last one (longitude bits 11).
        assert_eq!(
            n[WEST],
            Cell {
                bits: 0b1010,
                step: 2
            }
        );
        assert_eq!(
            n[SOUTH],
            Cell {
                bits: 0b0101,
                step: 2
            }
        );
        assert_eq!(
            n[NORTH_EAST],
            Cell {
                bits: 0b0011,
                step: 2
            }
        );
        for (i, cell) in n.iter().enumerate() {
            assert_eq!(moved(*cell, -OFFSETS[i].0, -OFFSETS[i].1), corner);
        }
    }

    #[test]
    fn steps_grow_with_the_radius_and_near_the_poles() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1000.0, 0.0), 14);
        assert_eq!(estimate_step(1000.0, 70.0), 13);
        assert_eq!(estimate_step(1000.0, -81.0), 12);
        assert_eq!(estimate_step(1e9, 0.0), 1);
        assert_eq!(estimate_step(f64::INFINITY, 0.0), 1);
    }

    #[test]
    fn distances() {
        // GEODIST Palermo Catania measures between the decoded positions.
        let (lon1, lat1) = lon_lat_of(3479099956230698.0);
        let (lon2, lat2) = lon_lat_of(3479447370796909.0);
        let d = distance(lon1, lat1, lon2, lat2);
        assert!((d - 166274.1516).abs() < 1e-4, "{d}");
        assert_eq!(distance(10.0, 1.0, 10.0, 2.0), lat_distance(1.0, 2.0));
    }

    #[test]
    fn a_box_keeps_what_its_half_sizes_allow() {
        let shape = Shape {
            lon: 0.0,
            lat: 0.0,
            extent: Extent::Box {
                width: 200.0,
                height: 100.0,
            },
            unit: 1000.0,
        };
        assert!(shape.contains(0.8, 0.0).is_some());
        assert!(shape.contains(0.0, 0.8).is_none());
        assert!(shape.contains(0.85, 0.4).is_some());
        assert!(shape.contains(0.95, 0.0).is_none());
    }
}
