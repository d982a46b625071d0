WITH a(s, m) AS (SELECT species, body_mass_g FROM penguins),
b AS (SELECT s, m * 2 AS double_mass FROM a)
SELECT s, double_mass FROM b