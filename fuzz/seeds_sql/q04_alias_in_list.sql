SELECT p.species, p.island
FROM penguins AS p
WHERE p.body_mass_g > 4000 AND p.species IN ('Adelie', 'Gentoo')