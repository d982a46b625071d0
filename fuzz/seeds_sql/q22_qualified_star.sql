SELECT x.species, x.latitude
FROM (SELECT p.*, s.latitude FROM penguins p, sites s) x