// placeholder while the map script is written
document.body.setAttribute('data-ready', '1');
