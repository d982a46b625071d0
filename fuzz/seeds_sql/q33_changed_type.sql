SELECT species, year
FROM penguins
WHERE year > 2007 AND body_mass_g > 4000.5
ORDER BY year