-- mean mass per species
SELECT species, AVG(body_mass_g) AS avg_mass
FROM penguins
GROUP BY species
ORDER BY avg_mass DESC