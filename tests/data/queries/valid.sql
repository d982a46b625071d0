-- Realistic analysis queries over the sample tables (penguins, "penguins-raw",
-- "seattle-weather", stocks, airports). Each must validate with no finding.
-- One query per ';'-terminated statement; lines starting with '--' are comments.

SELECT species, AVG(body_mass_g) AS avg_mass
FROM penguins
GROUP BY species
ORDER BY avg_mass DESC;

SELECT island, COUNT(*) AS n
FROM penguins
GROUP BY island
HAVING COUNT(*) > 10;

SELECT species, sex, AVG(bill_length_mm), AVG(bill_depth_mm)
FROM penguins
WHERE sex IS NOT NULL
GROUP BY species, sex;

SELECT year, MIN(flipper_length_mm) AS shortest, MAX(flipper_length_mm) AS longest
FROM penguins
WHERE year BETWEEN 2007 AND 2009
GROUP BY year
ORDER BY year;

SELECT p.species, p.island
FROM penguins AS p
WHERE p.body_mass_g > 4000 AND p.species IN ('Adelie', 'Gentoo');

SELECT * FROM penguins WHERE bill_length_mm > 45.5 LIMIT 10;

SELECT "Species", "Island", AVG("Body Mass (g)") AS mean_mass
FROM "penguins-raw"
GROUP BY "Species", "Island";

SELECT "studyName", COUNT(DISTINCT "Individual ID") AS individuals
FROM "penguins-raw"
GROUP BY "studyName";

SELECT "Individual ID", "Date Egg"
FROM "penguins-raw"
WHERE "Date Egg" >= DATE '2008-01-01' AND "Clutch Completion" = 'Yes';

SELECT "Sex", AVG("Delta 15 N (o/oo)") AS d15n, AVG("Delta 13 C (o/oo)") AS d13c
FROM "penguins-raw"
WHERE "Sex" IS NOT NULL
GROUP BY "Sex";

SELECT "Culmen Length (mm)" / "Culmen Depth (mm)" AS culmen_ratio
FROM "penguins-raw"
WHERE "Culmen Depth (mm)" > 0;

SELECT weather, COUNT(*) AS days, AVG(precipitation) AS avg_rain
FROM "seattle-weather"
GROUP BY weather
ORDER BY days DESC;

SELECT date, temp_max
FROM "seattle-weather"
WHERE date BETWEEN '2012-01-01' AND '2012-12-31'
ORDER BY temp_max DESC
LIMIT 5;

SELECT EXTRACT(YEAR FROM date) AS yr, AVG(temp_max - temp_min) AS avg_range
FROM "seattle-weather"
GROUP BY EXTRACT(YEAR FROM date)
ORDER BY yr;

SELECT DATE_TRUNC('month', date) AS month_start, SUM(precipitation) AS total_rain
FROM "seattle-weather"
GROUP BY 1
ORDER BY 1;

SELECT * FROM "seattle-weather" WHERE weather = 'snow' AND temp_min < 0;

SELECT symbol, AVG(price) AS avg_price, MAX(price) - MIN(price) AS spread
FROM stocks
GROUP BY symbol;

SELECT symbol, date, price
FROM stocks
WHERE symbol = 'AAPL' AND price > 100
ORDER BY price;

SELECT s.symbol, s.date, s.price
FROM stocks s
WHERE s.price > (SELECT AVG(price) FROM stocks WHERE symbol = s.symbol);

SELECT state, COUNT(*) AS airport_count
FROM airports
GROUP BY state
ORDER BY airport_count DESC;

SELECT iata, name, city
FROM airports
WHERE latitude BETWEEN 30 AND 40 AND longitude < -100;

SELECT country, AVG(latitude) AS mean_latitude
FROM airports
WHERE state IS NULL
GROUP BY country;

WITH by_species AS (
    SELECT species, AVG(body_mass_g) AS mean_mass
    FROM penguins
    GROUP BY species
)
SELECT species, mean_mass
FROM by_species
WHERE mean_mass > 4000
ORDER BY mean_mass;

WITH wet AS (
    SELECT date, precipitation FROM "seattle-weather" WHERE precipitation > 10
), hot AS (
    SELECT date, temp_max FROM "seattle-weather" WHERE temp_max > 30
)
SELECT w.date, w.precipitation, h.temp_max
FROM wet w
JOIN hot h ON w.date = h.date;

SELECT t.species, t.n
FROM (SELECT species, COUNT(*) AS n FROM penguins GROUP BY species) AS t
WHERE t.n > 50;

SELECT species FROM penguins WHERE island = 'Biscoe'
UNION
SELECT "Species" FROM "penguins-raw" WHERE "Island" = 'Dream';

SELECT species, island, body_mass_g,
       RANK() OVER (PARTITION BY species ORDER BY body_mass_g DESC) AS mass_rank
FROM penguins;

SELECT species,
       CASE WHEN body_mass_g > 4500 THEN 'heavy'
            WHEN body_mass_g > 3500 THEN 'medium'
            ELSE 'light' END AS size_class
FROM penguins;

SELECT a.iata, a.name
FROM airports a
WHERE EXISTS (SELECT 1 FROM airports b WHERE b.city = a.city AND b.iata <> a.iata);

SELECT island, COUNT(*) FILTER (WHERE sex = 'female') AS females
FROM penguins
GROUP BY island;

SELECT p.species, COUNT(*) AS raw_rows
FROM penguins p
JOIN "penguins-raw" r ON p.island = r."Island"
GROUP BY p.species;

SELECT weather, ROUND(AVG(wind), 2) AS avg_wind
FROM "seattle-weather"
WHERE date >= DATE '2014-01-01'
GROUP BY weather
HAVING AVG(wind) > 3;

SELECT symbol, COUNT(*) AS months
FROM stocks
WHERE symbol IN (SELECT symbol FROM stocks WHERE price > 500)
GROUP BY symbol;

SELECT * FROM (SELECT species, bill_length_mm FROM penguins) sub
ORDER BY bill_length_mm DESC NULLS LAST;

SELECT species, COALESCE(sex, 'unknown') AS sex_label, COUNT(*) AS n
FROM penguins
GROUP BY species, COALESCE(sex, 'unknown');

SELECT UPPER(city) AS city_upper, LENGTH(name) AS name_length
FROM airports
WHERE name LIKE '%International%';

SELECT "Region", "Stage", COUNT(*) AS n
FROM "penguins-raw"
WHERE "Comments" IS NULL
GROUP BY "Region", "Stage";

SELECT date, temp_max,
       AVG(temp_max) OVER (ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS weekly_avg
FROM "seattle-weather";

SELECT CAST(year AS VARCHAR) || '-' || species AS label FROM penguins;

SELECT table_0.species FROM table_0 WHERE table_0.year = 2008;

SELECT species, body_mass_g
FROM penguins
WHERE body_mass_g = (SELECT MAX(body_mass_g) FROM penguins);

SELECT iata FROM airports WHERE state = 'CA'
INTERSECT
SELECT iata FROM airports WHERE latitude > 35;

WITH RECURSIVE counter(n) AS (
    SELECT 1
    UNION ALL
    SELECT n + 1 FROM counter WHERE n < 10
)
SELECT n FROM counter;

SELECT w.date, w.weather
FROM "seattle-weather" w
WHERE w.date > '2015-06-01' AND w.weather <> 'sun'
ORDER BY w.date;

SELECT p1.species, p1.island, p2.year
FROM penguins p1
JOIN penguins p2 USING (species)
WHERE p1.year = 2007
LIMIT 3;

SELECT species, AVG(body_mass_g) AS mean_mass
FROM penguins
WHERE year >= 2008
GROUP BY species
HAVING mean_mass > 4000
ORDER BY mean_mass DESC;

SELECT weather, MEDIAN(temp_max) AS median_high, STDDEV(temp_max) AS spread
FROM "seattle-weather"
WHERE date < CURRENT_DATE
GROUP BY weather;

SELECT DATE_TRUNC(month, date) AS m, COUNT(*) AS rainy_days
FROM "seattle-weather"
WHERE precipitation > 0
GROUP BY DATE_TRUNC(month, date);
