SELECT species,
       AVG(p.bill_lenght_mm)
FROM penguins p
GROUP BY species